"""SOAP the way QBWC speaks it: SOAP 1.1, document/literal wrapped, the
`http://developer.intuit.com/` namespace, parameter names from Intuit's WSDL."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from lxml import etree

from web.qbwc import TNS, WSDL_PATH

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    min_occurs: int


@cache
def wsdl_operations() -> dict[str, list[Param]]:
    """Each operation of the WSDL with its request parameters, in order."""
    root = etree.parse(str(WSDL_PATH), _PARSER).getroot()
    schema = root.find(f".//{{{XSD_NS}}}schema")
    elements = {e.get("name"): e for e in schema.findall(f"{{{XSD_NS}}}element")}
    operations = {}
    for op in root.iter("{http://schemas.xmlsoap.org/wsdl/}operation"):
        name = op.get("name")
        if name in operations or name not in elements:
            continue
        params = [
            Param(p.get("name"), p.get("type").split(":")[-1], int(p.get("minOccurs", "1")))
            for p in elements[name].iter(f"{{{XSD_NS}}}element")
            if p is not elements[name]
        ]
        operations[name] = params
    return operations


class TransportError(Exception):
    """The call did not produce a usable SOAP answer (what QBWC logs as QBWC10xx)."""


def envelope(operation: str, params: dict[str, object]) -> bytes:
    """The request body QBWC sends for `operation` (every WSDL parameter, in WSDL order)."""
    parts = []
    # Interactive-mode methods are not in the WSDL: their parameters go in the order given.
    known = wsdl_operations().get(operation)
    names = [p.name for p in known] if known is not None else list(params)
    for name in names:
        if name not in params:
            continue
        value = params[name]
        parts.append(f"<{name}>{escape(str(value))}</{name}>" if value != "" else f"<{name} />")
    body = (
        f'<{operation} xmlns="{TNS}">' + "".join(parts) + f"</{operation}>"
        if parts
        else f'<{operation} xmlns="{TNS}" />'
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xmlns:xsd="{XSD_NS}"><soap:Body>{body}</soap:Body></soap:Envelope>'
    ).encode()


def call(
    url: str,
    operation: str,
    params: dict[str, object],
    *,
    timeout: float = 60.0,
    drop_response: bool = False,
) -> list[str] | str | None:
    """POST one SOAP call and return its result: a list for ArrayOfString, else the text.

    With `drop_response` the request is delivered and the server's status line awaited, then the
    connection is closed unread: the server did the work, the client never sees the answer.
    """
    parts = urlsplit(url)
    conn_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_class(parts.hostname, parts.port, timeout=timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(
            "POST",
            path or "/",
            body=envelope(operation, params),
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{TNS}{operation}"',
                "User-Agent": USER_AGENT,
            },
        )
        response = conn.getresponse()
        if drop_response:
            raise TransportError(
                "The underlying connection was closed: the connection was closed unexpectedly."
            )
        data = response.read()
    except OSError as exc:
        raise TransportError(f"Unable to connect to the remote server: {exc}") from None
    finally:
        conn.close()
    if response.status != 200:
        raise TransportError(
            f"The request failed with HTTP status {response.status}: {response.reason}."
        )
    return parse_result(operation, data)


def parse_result(operation: str, data: bytes) -> list[str] | str | None:
    """The `{operation}Result` of a SOAP response, the way .NET's client reads it: None (a
    .NET null) when the result is nil or absent from an otherwise good answer."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        raise TransportError("Response is not well-formed XML.") from None
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise TransportError("The response is not a SOAP 1.1 envelope.")
    fault = root.find(f".//{{{SOAP_NS}}}Fault")
    if fault is not None:
        raise TransportError("SOAP fault: " + (fault.findtext("faultstring") or ""))
    answer = root.find(f".//{{{TNS}}}{operation}Response")
    if answer is None:
        raise TransportError(f"The response has no {operation}Response in {TNS}.")
    result = answer.find(f"{{{TNS}}}{operation}Result")
    if result is None or result.get(f"{{{XSI_NS}}}nil") in ("true", "1"):
        return None
    if operation == "authenticate":
        # Items outside the tns namespace are invisible to QBWC: that is QBWC1012's cause.
        return [item.text or "" for item in result.findall(f"{{{TNS}}}string")]
    return result.text or ""

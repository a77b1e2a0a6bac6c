"""SOAP 1.1, document/literal wrapped, in the `http://developer.intuit.com/` namespace: reading
QBWC's calls and writing our answers. Parameters are read by local name, ignoring case (peers
disagree on `strCompanyFileName`); array items are written in the service namespace with empty
items kept, because QBWC sees nothing else (QBWC1012)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from web.qbwc import TNS

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
MAX_BODY = 10 * 1024 * 1024  # QBWC's own post limit
OPERATIONS = (
    "serverVersion",
    "clientVersion",
    "authenticate",
    "sendRequestXML",
    "receiveResponseXML",
    "connectionError",
    "getLastError",
    "closeConnection",
    "getInteractiveURL",
    "interactiveDone",
    "interactiveRejected",
)
_BY_LOWER = {op.lower(): op for op in OPERATIONS}
# No DTDs, no entities, no network: XXE and billion laughs stop here.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=True
)


class SoapError(ValueError):
    """A body we cannot read; `operation` is our best guess at what was called."""

    def __init__(self, message: str, operation: str | None) -> None:
        super().__init__(message)
        self.operation = operation


@dataclass(frozen=True)
class SoapCall:
    operation: str
    params: dict[str, str]  # lower-cased local names -> text ("" when empty or nil)

    def get(self, name: str) -> str:
        return self.params.get(name.lower(), "")


def operation_from_action(soap_action: str | None) -> str | None:
    """The operation a SOAPAction header names ("http://developer.intuit.com/authenticate")."""
    action = (soap_action or "").strip().strip('"').rstrip("/")
    return _BY_LOWER.get(action.rsplit("/", 1)[-1].lower()) if action else None


def parse_call(body: bytes, soap_action: str | None) -> SoapCall:
    """The operation and parameters of a QBWC call; SoapError when the body is unusable."""
    guess = operation_from_action(soap_action)
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapError(f"the body is not well-formed XML: {exc}", guess) from None
    if root.getroottree().docinfo.doctype:
        raise SoapError("DOCTYPEs are not accepted", guess)
    if etree.QName(root).localname != "Envelope" or etree.QName(root).namespace != SOAP_NS:
        raise SoapError("the body is not a SOAP 1.1 envelope", guess)
    body_el = next(
        (c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "Body"), None
    )
    call = (
        next((c for c in body_el if isinstance(c.tag, str)), None) if body_el is not None else None
    )
    if call is None:
        raise SoapError("the SOAP body is empty", guess)
    operation = _BY_LOWER.get(etree.QName(call).localname.lower())
    if operation is None:
        raise SoapError(f"unknown operation {etree.QName(call).localname!r}", guess)
    params = {
        etree.QName(p).localname.lower(): "".join(p.itertext())
        for p in call
        if isinstance(p.tag, str)
    }
    return SoapCall(operation, params)


def envelope(operation: str, result: str | int | list[str]) -> bytes:
    """Our answer to `operation`, as QBWC expects it."""
    if isinstance(result, list):
        inner = "".join(f"<string>{escape(item)}</string>" for item in result)
    else:
        inner = escape(str(result))
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:xsi="{XSI_NS}" xmlns:xsd="{XSD_NS}">'
        "<soap:Body>"
        f'<{operation}Response xmlns="{TNS}"><{operation}Result>{inner}</{operation}Result>'
        f"</{operation}Response></soap:Body></soap:Envelope>"
    ).encode()


def wsdl_for(url: str, wsdl_text: str) -> str:
    """Intuit's WSDL with its soap:address pointing at `url`."""
    root = etree.fromstring(wsdl_text.encode("utf-8"), _PARSER)
    for address in root.iter(
        "{http://schemas.xmlsoap.org/wsdl/soap/}address",
        "{http://schemas.xmlsoap.org/wsdl/soap12/}address",
    ):
        address.set("location", url)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8").decode("utf-8")

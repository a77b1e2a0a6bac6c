"""The QBWC SOAP endpoint: POST /qbwc/<registration id>, and GET ?wsdl.

Each call parses the envelope, calls one engine command and writes the answer. Nothing QBWC
sends can make this endpoint answer with a SOAP fault or a stack trace: every problem becomes
the method's own error value (authenticate `busy`, sendRequestXML "", receiveResponseXML -1,
connectionError "done", ...), and getLastError explains it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, request

from engine.qbwc.versions import client_version_answer, server_version
from web import get_engine, get_public_url, get_telemetry
from web.qbwc import WSDL_PATH
from web.qbwc.soap import (
    MAX_BODY,
    SoapCall,
    SoapError,
    envelope,
    operation_from_action,
    parse_call,
    wsdl_for,
)

log = logging.getLogger(__name__)
qbwc = Blueprint("qbwc", __name__)

ERROR_VALUES: dict[str, Any] = {
    "serverVersion": server_version(),
    "clientVersion": "",
    "authenticate": ["", "busy", "300", ""],
    "sendRequestXML": "",
    "receiveResponseXML": -1,
    "connectionError": "done",
    "getLastError": "The server could not read the last request from QBWC.",
    "closeConnection": "The server could not read the request to close the session.",
    "getInteractiveURL": "",
    "interactiveDone": "Done",
    "interactiveRejected": "Interactive mode is not used by qbtransfer.",
}


class _RecentProblems:
    """Why a call failed inside this process, for the getLastError that follows (bounded)."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def put(self, ticket: str, message: str) -> None:
        with self._lock:
            self._items[ticket] = message
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def pop(self, ticket: str) -> str | None:
        with self._lock:
            return self._items.pop(ticket, None)


PROBLEMS = _RecentProblems()


def _answer(operation: str, result: Any) -> Response:
    return Response(envelope(operation, result), content_type="text/xml; charset=utf-8")


@qbwc.get("/qbwc/<registration_id>")
def wsdl(registration_id: str) -> Response:
    """Intuit's WSDL, pointing at this registration's URL."""
    url = f"{get_public_url()}/qbwc/{registration_id}"
    if "wsdl" not in {k.lower() for k in request.args}:
        return Response(
            f"QuickBooks Web Connector endpoint. The WSDL is at {url}?wsdl\n",
            content_type="text/plain; charset=utf-8",
        )
    text = wsdl_for(url, WSDL_PATH.read_text(encoding="utf-8"))
    return Response(text, content_type="text/xml; charset=utf-8")


@qbwc.post("/qbwc/<registration_id>")
def endpoint(registration_id: str) -> Response:
    """One QBWC call."""
    started = time.perf_counter()
    soap_action = request.headers.get("SOAPAction")
    length = request.content_length
    body = request.stream.read(MAX_BODY + 1) if length is None or length <= MAX_BODY else None
    try:
        if body is None or len(body) > MAX_BODY:
            raise SoapError("the request is larger than 10 MB", None)
        call = parse_call(body, soap_action)
    except SoapError as exc:
        operation = exc.operation or operation_from_action(soap_action)
        log.warning("QBWC call to %s could not be read: %s", registration_id, exc)
        if operation is None:
            return Response(
                envelope("unknown", ""), status=400, content_type="text/xml; charset=utf-8"
            )
        return _answer(operation, ERROR_VALUES[operation])
    try:
        result = _dispatch(registration_id, call)
    except Exception:  # a broken call must still end the QBWC run cleanly
        log.exception("QBWC %s failed on registration %s", call.operation, registration_id)
        PROBLEMS.put(
            call.get("ticket"),
            "The server had an internal error; the session "
            "stopped. It will try again at the next run.",
        )
        result = ERROR_VALUES[call.operation]
    ticket = call.get("ticket") if call.operation != "authenticate" else None
    get_telemetry().qbwc_call(
        get_engine(), registration_id, call.operation, ticket or None, result, started
    )
    return _answer(call.operation, result)


def _dispatch(registration_id: str, call: SoapCall) -> Any:
    engine = get_engine()
    ticket = call.get("ticket")
    match call.operation:
        case "serverVersion":
            return server_version()
        case "clientVersion":
            return client_version_answer(call.get("strVersion"))
        case "authenticate":
            return engine.qbwc_authenticate(
                registration_id, call.get("strUserName"), call.get("strPassword")
            )
        case "sendRequestXML":
            return engine.qbwc_send_request(
                registration_id,
                ticket,
                call.get("strHCPResponse"),
                call.get("strCompanyFileName"),
                call.get("qbXMLCountry"),
                _int(call.get("qbXMLMajorVers")),
                _int(call.get("qbXMLMinorVers")),
            )
        case "receiveResponseXML":
            return engine.qbwc_receive_response(
                registration_id,
                ticket,
                call.get("response"),
                call.get("hresult"),
                call.get("message"),
            )
        case "connectionError":
            return engine.qbwc_connection_error(
                registration_id, ticket, call.get("hresult"), call.get("message")
            )
        case "getLastError":
            return PROBLEMS.pop(ticket) or engine.qbwc_last_error(registration_id, ticket)
        case "closeConnection":
            return engine.qbwc_close(registration_id, ticket)
        case _:  # interactive mode: never asked for, answered politely
            return ERROR_VALUES[call.operation]


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return 0

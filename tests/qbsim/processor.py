"""The simulated request processor: what QuickBooks does with a qbXML message set.

It validates the whole message against the schema first (rejecting it with HRESULT 0x80040400
and no response), then runs each request in order, answering each with a `*Rs` that echoes its
`requestID`; `stopOnError` answers the rest "not processed" (3231) and rolls nothing back;
message sets sent with `newMessageSetID` are kept for error recovery.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.qbxml.schema import version_number
from tests.qbsim.model import OK, Status
from tests.qbsim.schema import PARSE_HRESULT, PARSE_MESSAGE, SchemaViolation, check_request

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True, huge_tree=True
)
_QBXML_PI = re.compile(r"<\?qbxml\s+version\s*=\s*\"([^\"]+)\"\s*\?>")


def real_layout(root: etree._Element) -> str:
    """A response laid out as QuickBooks writes it (captures in exactly-once.md): the
    declaration with a space before `?>`, one element per line, no indentation, and empty
    answers (errors) as self-closing elements carrying only their attributes."""
    for element in root.iter():
        if len(element):
            element.text = "\n"
        element.tail = "\n"
    root.tail = None
    return '<?xml version="1.0" ?>\n' + etree.tostring(root, encoding="unicode")


def _trimmed(ret: etree._Element, wanted: set[str | None]) -> etree._Element:
    """A `*Ret` cut down to the IncludeRetElement names asked for (all of it if none)."""
    if wanted:
        for child in list(ret):
            if child.tag not in wanted:
                ret.remove(child)
    return ret


class RequestProcessorError(Exception):
    """What QBWC reports as an HRESULT: the message set never ran."""

    def __init__(self, hresult: str, message: str, detail: str = "") -> None:
        super().__init__(f"{hresult}: {message} {detail}".strip())
        self.hresult, self.message, self.detail = hresult, message, detail


class QbError(Exception):
    """A request-level failure, answered with a status code inside the response."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.message)
        self.status = status


@dataclass
class Answer:
    """One `*Rs`: its status, the `*Ret` elements and any extra attributes."""

    status: Status = OK
    rets: list[etree._Element] | None = None
    attrs: dict[str, str] | None = None


Handler = Callable[[Any, etree._Element, dict[str, Any]], Answer]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register a request handler for the named `*Rq` elements."""

    def register(func: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = func
        return func

    return register


class RequestProcessor:
    """The qbXML entry point of the simulated company (mixed into Company)."""

    versions: tuple[str, ...]
    message_sets: dict[str, str]
    injected: list[list[Any]]

    def process(self, qbxml: str) -> str:
        """Answer a qbXML request message set, or raise RequestProcessorError."""
        match = _QBXML_PI.search(qbxml[:500])
        if match is None:
            raise RequestProcessorError(PARSE_HRESULT, PARSE_MESSAGE, "no <?qbxml version?>")
        version = match.group(1)
        if version not in self.versions:
            raise RequestProcessorError(
                "0x80040423",
                f"The version of QBXML that was requested ({version}) is not "
                "supported or is unknown.",
            )
        try:
            root = etree.fromstring(qbxml.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise RequestProcessorError(PARSE_HRESULT, PARSE_MESSAGE, str(exc)) from None
        msgs = root.find("QBXMLMsgsRq") if root.tag == "QBXML" else None
        if msgs is None or len(root) != 1:
            raise RequestProcessorError(PARSE_HRESULT, PARSE_MESSAGE, "expected QBXML/QBXMLMsgsRq")
        try:
            self._check_message_set(msgs, version_number(version))
        except SchemaViolation as exc:
            raise RequestProcessorError(PARSE_HRESULT, PARSE_MESSAGE, exc.detail) from None
        old, new = msgs.get("oldMessageSetID"), msgs.get("newMessageSetID")
        if old == "ClearAllMessageSets":
            self.message_sets.clear()
        elif old is not None and old in self.message_sets:
            # The set was processed before: answer from the stored result, run nothing again.
            return self.message_sets[old]
        text = self._run(msgs, version, recovered=old)
        if new is not None:
            self.message_sets[new] = text
        return text

    def _check_message_set(self, msgs: etree._Element, version: float) -> None:
        unknown = set(msgs.attrib) - {
            "onError",
            "newMessageSetID",
            "oldMessageSetID",
            "responseData",
        }
        if unknown:
            raise SchemaViolation(f"QBXMLMsgsRq has unknown attribute {sorted(unknown)[0]}")
        if msgs.get("onError") not in ("stopOnError", "continueOnError"):
            raise SchemaViolation("QBXMLMsgsRq onError must be stopOnError or continueOnError")
        for key in ("newMessageSetID", "oldMessageSetID"):
            if len(msgs.get(key, "")) > 23:
                raise SchemaViolation(f"{key} is longer than 23 characters")
        for rq in msgs:
            if isinstance(rq.tag, str):
                check_request(rq, version)

    def _run(self, msgs: etree._Element, version: str, recovered: str | None) -> str:
        out_root = etree.Element("QBXML")
        out = etree.SubElement(out_root, "QBXMLMsgsRs")
        if recovered is not None:
            # The old set is unknown here, so it never reached QuickBooks: this one runs now.
            out.set("messageSetStatusCode", "9001")
        stop = msgs.get("onError") == "stopOnError"
        include_data = msgs.get("responseData", "includeAll") != "includeNone"
        stopped = False
        for rq in msgs:
            if not isinstance(rq.tag, str):
                continue
            answer = Answer(Status.of(3231)) if stopped else self._answer(rq, version)
            rs = etree.SubElement(out, rq.tag[:-2] + "Rs")
            if rq.get("requestID") is not None:
                rs.set("requestID", rq.get("requestID"))
            rs.set("statusCode", str(answer.status.code))
            rs.set("statusSeverity", answer.status.severity)
            rs.set("statusMessage", answer.status.message)
            for key, value in (answer.attrs or {}).items():
                rs.set(key, value)
            if include_data:
                wanted = {e.text for e in rq.findall("IncludeRetElement")}
                for ret in answer.rets or []:
                    rs.append(_trimmed(ret, wanted))
            if answer.status.code >= 1000 and stop:
                stopped = True
        return real_layout(out_root)

    def _answer(self, rq: etree._Element, version: str) -> Answer:
        name = rq.tag
        for injection in self.injected:
            if injection[0] == name and injection[2] > 0:
                injection[2] -= 1
                obj = re.sub(r"(Add|Mod|Query)Rq$", "", name)
                return Answer(Status.of(injection[1], obj=obj))
        handler = HANDLERS.get(name)
        if handler is None:
            return Answer(Status(1030, f"The request {name} is not supported by this simulator."))
        try:
            return handler(self, rq, {"version": version})
        except QbError as exc:
            return Answer(exc.status)

    # -- host, company and preferences -------------------------------------------------------

    def hcp_response(self) -> str:
        """What QBWC passes as strHCPResponse on the first sendRequestXML of a session."""
        from tests.qbsim.queries import company_ret, host_ret, preferences_ret

        root = etree.Element("QBXML")
        msgs = etree.SubElement(root, "QBXMLMsgsRs")
        for request_id, (name, ret) in enumerate(
            (
                ("HostQueryRs", host_ret(self)),
                ("CompanyQueryRs", company_ret(self, all_owners=True)),
                ("PreferencesQueryRs", preferences_ret(self)),
            )
        ):
            rs = etree.SubElement(
                msgs,
                name,
                requestID=str(request_id),
                statusCode="0",
                statusSeverity="Info",
                statusMessage="Status OK",
            )
            rs.append(ret)
        return real_layout(root)

    # -- seeding and dumping -------------------------------------------------------------------

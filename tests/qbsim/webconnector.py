"""A QuickBooks Web Connector (QBWC 2.3) that drives a live HTTP endpoint.

It follows QBWC's state machine (qbwc-protocol.md §1 and §4): serverVersion, clientVersion,
authenticate, opening the company (with connectionError), sendRequestXML / receiveResponseXML
with getLastError after "" or a negative result, and closeConnection. It hands each qbXML
message to a simulated `Company`, keeps a QWCLog.txt-style log, and can inject the faults that
matter: a response lost after QuickBooks applied it, a dropped connection, a repeated call, a
wait long enough for the server's session to expire.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.qbsim.company import QBWC_OWNER, Company, RequestProcessorError
from tests.qbsim.soap import TransportError, call

# QBWC's own error number for a failed call of each method (guide appendix A).
FAILURE_CODES = {
    "serverVersion": "QBWC1049",
    "clientVersion": "QBWC1036",
    "authenticate": "QBWC1012",
    "sendRequestXML": "QBWC1041",
    "receiveResponseXML": "QBWC1042",
    "getLastError": "QBWC1043",
    "closeConnection": "QBWC1044",
    "connectionError": "QBWC1045",
}
MAX_MESSAGES = 20_000


@dataclass
class Faults:
    """Faults to inject; each names a method and which call of it (1-based)."""

    lose_response_after: int | None = None  # nth message: QuickBooks applies it, then QBWC dies
    drop_connection: tuple[str, int] | None = (
        None  # the call reaches the server; its answer is lost
    )
    repeat_call: tuple[str, int] | None = None  # the call is sent twice; the second answer counts
    pause: tuple[str, int, float] | None = None  # wait this many seconds before the call


@dataclass
class RunResult:
    """What one update did, as QBWC's window and log would show it."""

    outcome: str  # completed, none, nvu, busy, error, connection-error, crashed, client-version
    message: str
    ticket: str = ""
    progress: list[int] = field(default_factory=list)
    every_min: int | None = None
    postpone_seconds: int | None = None
    messages: int = 0
    calls: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    # (request bytes, response bytes) of each message QuickBooks processed
    sizes: list[tuple[int, int]] = field(default_factory=list)


class WebConnectorSim:
    """One QBWC application entry (one .qwc) with the password saved in it."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        company: Company,
        *,
        version: str = "2.3.0.215",
        owner_id: str | None = None,
        file_id: str | None = None,
        app_name: str = "qbtransfer",
        sleep: Callable[[float], None] = time.sleep,
        noop_wait: float = 5.0,
        continue_on_warning: bool = True,
        max_open_attempts: int = 3,
        faults: Faults | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.url, self.username, self.password = url, username, password
        self.company, self.version = company, version
        self.owner_id, self.file_id, self.app_name = owner_id, file_id, app_name
        self.sleep, self.noop_wait = sleep, noop_wait
        self.continue_on_warning = continue_on_warning
        self.max_open_attempts = max_open_attempts
        self.faults = faults or Faults()
        self.timeout = timeout
        self.log: list[str] = []
        self._counts: Counter[str] = Counter()
        self._result: RunResult | None = None

    # -- plumbing ------------------------------------------------------------------------------

    def _log(self, where: str, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d.%H:%M:%S")
        self.log.append(f"{stamp} UTC\t: QBWebConnector.{where} : {text}")

    def _call(self, method: str, **params: object):
        self._counts[method] += 1
        nth = self._counts[method]
        assert self._result is not None
        self._result.calls.append(method)
        if self.faults.pause and self.faults.pause[:2] == (method, nth):
            self._log("SOAPWebService.do_" + method, f"Waiting {self.faults.pause[2]} s.")
            self.sleep(self.faults.pause[2])
        self._log("SOAPWebService.do_" + method, f"*** Calling {method}().")
        drop = self.faults.drop_connection == (method, nth)
        repeat = self.faults.repeat_call == (method, nth)
        if repeat:
            call(self.url, method, params, timeout=self.timeout)
            self._result.calls.append(method)
        answer = call(self.url, method, params, timeout=self.timeout, drop_response=drop)
        if answer is None and method == "authenticate":
            return []  # a null array: QBWC1012 below
        if answer is None and method != "sendRequestXML":
            return ""
        return answer

    def _fail(self, method: str, exc: Exception) -> RunResult:
        message = (
            f"{FAILURE_CODES[method]}: {method}() failed due to following error message. {exc}"
        )
        self._log("SOAPWebService.do_" + method, message)
        return self._finish("error", message)

    def _finish(self, outcome: str, message: str) -> RunResult:
        assert self._result is not None
        self._result.outcome, self._result.message = outcome, message
        self._result.log = list(self.log)
        self._end_session()
        self._log("RunUpdate", f"Update completed with outcome {outcome}: {message}")
        self._result.log = list(self.log)
        return self._result

    def _end_session(self) -> None:
        if self.company.session is not None:
            self.company.end_session(self._lock_owner)
            self._log("QBSession.EndSession", "Ended the QuickBooks session; AppLock released.")

    @property
    def _lock_owner(self) -> str:
        # QBWC keeps its AppLock with the application's OwnerID, as written in the .qwc.
        return self.owner_id or QBWC_OWNER

    # -- the update ----------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run one update ("Update Selected"), start to finish."""
        self._result = RunResult(outcome="", message="")
        self._counts.clear()
        self._log("RunUpdate", f"Starting update of application '{self.app_name}'.")
        try:
            server_version = self._call("serverVersion")
            self._log(
                "SOAPWebService.do_serverVersion",
                f"Received from serverVersion(): '{server_version}'.",
            )
        except TransportError as exc:  # informational only: QBWC carries on
            self._log("SOAPWebService.do_serverVersion", f"Failed: {exc}")
        try:
            answer = self._call("clientVersion", strVersion=self.version)
        except TransportError as exc:
            return self._fail("clientVersion", exc)
        if answer.startswith(("E:", "O:")):
            text = (
                answer[2:]
                if answer.startswith("E:")
                else (f"This application requires QBWC version {answer[2:]} or later.")
            )
            return self._finish("client-version", text)
        if answer.startswith("W:") and not self.continue_on_warning:
            return self._finish("client-version", answer[2:])
        return self._authenticate()

    def _authenticate(self) -> RunResult:
        assert self._result is not None
        self._log(
            "SOAPWebService.do_authenticate",
            f"Authenticating to application '{self.app_name}', username = '{self.username}'",
        )
        try:
            answer = self._call(
                "authenticate", strUserName=self.username, strPassword=self.password
            )
        except TransportError as exc:
            return self._fail("authenticate", exc)
        self._log(
            "SOAPWebService.do_authenticate",
            "Received from authenticate() following parameters:"
            + "".join(f'<authRet[{i}]="{value}">' for i, value in enumerate(answer)),
        )
        if len(answer) < 2:
            # QBWC indexes the array without checking it, and the update fails without a
            # closeConnection.
            return self._fail(
                "authenticate",
                TransportError("Index was outside the bounds of the array. (Index Out Of Range)"),
            )
        ticket, status = answer[0], answer[1].strip().lower()
        self._result.ticket = ticket
        postpone = answer[2] if len(answer) > 2 else ""
        min_run = answer[3] if len(answer) > 3 else ""
        self._result.postpone_seconds = int(postpone) if postpone.strip().isdigit() else None
        if min_run.strip().isdigit():
            self._result.every_min = int(min_run) // 60
        if status in ("nvu", "none", "busy"):
            text = {
                "nvu": "Authentication failed: invalid user name or password.",
                "none": "No data exchange required.",
                "busy": "The application is busy; the update will be retried.",
            }[status]
            self._log(
                "SOAPWebService.do_authenticate",
                f"Authenticate returned '{answer[1]}': {text}",
            )
            try:
                closing = self._call("closeConnection", ticket=ticket)
                self._log("SOAPWebService.do_closeConnection", f"Received: '{closing}'.")
            except TransportError as exc:
                return self._fail("closeConnection", exc)
            return self._finish(status, text)
        return self._open_company(ticket, status)

    def _open_company(self, ticket: str, path: str) -> RunResult:
        for _ in range(self.max_open_attempts):
            wanted = path or self.company.path
            if not self.company.can_start:
                hresult, message = "0x80040408", "Could not start QuickBooks."
            elif wanted.casefold() != self.company.path.casefold():
                hresult, message = (
                    "0x80040403",
                    "Could not open the specified QuickBooks company data file.",
                )
            else:
                self._log("QBSession.OpenConnection", f"Opened company file '{wanted}'.")
                if (
                    self.owner_id
                    and self.file_id
                    and not any(
                        name == "FileID" and owner.upper() == self.owner_id.upper()
                        for owner, name in self.company.data_ext
                    )
                ):
                    self.company.write_file_id(self.owner_id, self.file_id)
                self.company.begin_session(self._lock_owner)
                return self._exchange(ticket)
            self._log("QBSession.OpenConnection", f"{hresult}: {message}")
            try:
                answer = self._call(
                    "connectionError", ticket=ticket, hresult=hresult, message=message
                )
            except TransportError as exc:
                return self._fail("connectionError", exc)
            if answer.strip().lower() == "done":
                return self._finish("connection-error", message)
            path = answer
        return self._finish("connection-error", "Giving up after repeated connection errors.")

    def _exchange(self, ticket: str) -> RunResult:
        assert self._result is not None
        major, minor = max(
            self.company.versions, key=lambda v: tuple(map(int, v.split(".")))
        ).split(".")
        first = True
        noops = 0
        while self._result.messages < MAX_MESSAGES:
            try:
                request = self._call(
                    "sendRequestXML",
                    ticket=ticket,
                    strHCPResponse=self.company.hcp_response() if first else "",
                    strCompanyFileName=self.company.path,
                    qbXMLCountry=self.company.country,
                    qbXMLMajorVers=int(major),
                    qbXMLMinorVers=int(minor),
                )
            except TransportError as exc:
                return self._fail("sendRequestXML", exc)
            first = False
            if request is None:
                # A nil or absent result is a null string to QBWC, which it does not survive:
                # the update fails and no closeConnection follows.
                return self._fail(
                    "sendRequestXML",
                    TransportError(
                        "Object reference not set to an instance of an object. at "
                        "QBWebConnector.SOAPWebService.do_sendRequestXML()"
                    ),
                )
            assert isinstance(request, str)
            self._log(
                "SOAPWebService.do_sendRequestXML",
                f"Received from sendRequestXML() following parameter:<strRequestXML length "
                f"= {len(request)}>",
            )
            if request == "":
                text = self._last_error(ticket)
                if isinstance(text, RunResult):
                    return text
                if text == "NoOp" and noops < 1000:
                    noops += 1
                    self.sleep(self.noop_wait)
                    continue
                return self._close(ticket, "error", text)
            self._result.messages += 1
            hresult = message = response = ""
            try:
                response = self.company.process(request)
            except RequestProcessorError as exc:
                hresult, message = exc.hresult, exc.message
                self._log("QBSession.ProcessRequest", f"{hresult}: {message} {exc.detail}")
            self._result.sizes.append((len(request.encode()), len(response.encode())))
            if response:
                self._log(
                    "SOAPWebService.do_receiveResponseXML",
                    f"Response received from QuickBooks: size (bytes) = {len(response.encode())}",
                )
            if self.faults.lose_response_after == self._result.messages:
                self._log(
                    "RunUpdate",
                    "QuickBooks processed the request; the Web Connector "
                    "stopped before delivering the response.",
                )
                return self._finish("crashed", "The Web Connector stopped unexpectedly.")
            try:
                progress = int(
                    self._call(
                        "receiveResponseXML",
                        ticket=ticket,
                        response=response,
                        hresult=hresult,
                        message=message,
                    )
                )
            except (TransportError, ValueError) as exc:
                return self._fail("receiveResponseXML", exc)
            self._result.progress.append(progress)
            self._log(
                "SOAPWebService.do_receiveResponseXML",
                f'Received from receiveResponseXML() following parameter:<more="{progress}">',
            )
            if 0 <= progress < 100:
                self._log(
                    "SOAPWebService.do_receiveResponseXML", "There are more requests to process."
                )
            elif progress >= 100:
                self._log("SOAPWebService.do_receiveResponseXML", "Done. No more to process.")
            if progress < 0:
                text = self._last_error(ticket)
                if isinstance(text, RunResult):
                    return text
                return self._close(ticket, "error", text)
            if progress >= 100:
                return self._close(ticket, "completed", "")
        return self._close(ticket, "error", "Too many messages in one update.")

    def _last_error(self, ticket: str) -> str | RunResult:
        try:
            text = self._call("getLastError", ticket=ticket)
        except TransportError as exc:
            return self._fail("getLastError", exc)
        self._log("SOAPWebService.do_getLastError", f"Received: '{text}'.")
        return text

    def _close(self, ticket: str, outcome: str, text: str) -> RunResult:
        # QBWC ends the QuickBooks session (releasing its AppLock) before closeConnection.
        self._end_session()
        try:
            closing = self._call("closeConnection", ticket=ticket)
        except TransportError as exc:
            return self._fail("closeConnection", exc)
        self._log("SOAPWebService.do_closeConnection", f"Received: '{closing}'.")
        return self._finish(outcome, text or closing)

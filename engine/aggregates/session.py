"""QBWC sessions: one per authenticate call, from the ticket to closeConnection.

A session knows which call QBWC must make next, what it has planned, where its current step
stands, and how it ended. The qbXML text of each message lives in its Exchange, not here, so a
session stays small however many messages it carries.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from engine.steps.pipeline import SessionWork

IDLE_TIMEOUT = timedelta(minutes=60)

# The call QBWC must make next, per state; anything else is out of order.
SEND = "sendRequestXML"
RECEIVE = "receiveResponseXML"
CLOSE = "closeConnection"
LAST_ERROR = "getLastError"


def session_id_for(ticket: str) -> UUID:
    """Sessions are found by ticket without storing the ticket itself."""
    return uuid5(NAMESPACE_URL, f"qbtransfer:/qbwc/tickets/{ticket}")


class QbwcSession(Aggregate):
    """One QBWC update, as the server saw it."""

    # Version 2 keeps the steps' typed work where version 1 kept an untyped cursor.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before the step pipeline."""
        cursor = state.pop("cursor", {})
        steps, index = state.get("steps", []), cursor.get("step", 0)
        state["work"] = SessionWork.from_json(cursor)
        state["purpose"] = steps[index] if index < len(steps) else None

    # -- events ------------------------------------------------------------------------

    class Opened(Aggregate.Created):
        registration_id: str
        connector_id: UUID | None
        username: str
        opened_at: datetime

    class Authenticated(Aggregate.Event):
        company_file: str | None
        at: datetime

    class AuthenticationRefused(Aggregate.Event):
        code: int
        reason: str
        at: datetime

    class FoundBusy(Aggregate.Event):
        holder_session_id: UUID
        at: datetime

    class FoundNoWork(Aggregate.Event):
        at: datetime

    class CompanyChecked(Aggregate.Event):
        host: dict[str, Any]
        company_file: str
        qbxml_version: str
        at: datetime

    class WorkPlanned(Aggregate.Event):
        steps: list[str]
        at: datetime

    class RequestSent(Aggregate.Event):
        """Version 2 names the message's steps (`purpose`) and carries the typed work; version
        1 had the one step's name and an untyped cursor."""

        class_version = 2
        exchange_id: UUID
        purpose: str
        work: SessionWork
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["purpose"] = state.pop("step")
            state["work"] = SessionWork.from_json(state.pop("cursor"))

    class RequestResent(Aggregate.Event):
        exchange_id: UUID
        at: datetime

    class ResponseReceived(Aggregate.Event):
        """Version 2 carries the typed work where version 1 had an untyped cursor."""

        class_version = 2
        exchange_id: UUID
        work: SessionWork
        progress: int
        response_digest: str
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["work"] = SessionWork.from_json(state.pop("cursor"))

    class ConnectionErrorReported(Aggregate.Event):
        hresult: str
        message: str
        retry: bool
        at: datetime

    class Failed(Aggregate.Event):
        message: str
        at: datetime

    class ErrorShown(Aggregate.Event):
        at: datetime

    class Closed(Aggregate.Event):
        result: str
        at: datetime

    class Abandoned(Aggregate.Event):
        reason: str
        at: datetime

    class Expired(Aggregate.Event):
        at: datetime

    @event(Opened)
    def __init__(
        self,
        id: UUID,
        registration_id: str,
        connector_id: UUID | None,  # noqa: A002
        username: str,
        opened_at: datetime,
    ) -> None:
        self.registration_id = registration_id
        self.connector_id = connector_id
        self.username = username
        self.opened_at = opened_at
        self.last_activity = opened_at
        self.status = "opening"  # open, refused, busy, none, failed, closed, abandoned, expired
        self.expected: str | None = None
        self.refusal_code: int | None = None
        self.last_error: str | None = None
        self.host: dict[str, Any] | None = None
        self.company_file: str | None = None
        self.qbxml_version: str | None = None
        self.steps: list[str] = []
        self.work = SessionWork()
        self.purpose: str | None = None  # the steps of the last message sent
        self.progress = 0
        self.exchanges = 0
        self.in_flight: UUID | None = None
        self.last_exchange: UUID | None = None
        self.last_response_digest: str | None = None
        self.connection_errors = 0
        self.result: str | None = None
        self.ended_at: datetime | None = None

    # -- questions ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def is_idle_since(self, now: datetime) -> bool:
        """True when QBWC has said nothing for longer than the idle timeout."""
        return now - self.last_activity > IDLE_TIMEOUT

    # -- authentication ------------------------------------------------------------------------

    @event(Authenticated)
    def authenticate(self, company_file: str | None, at: datetime) -> None:
        """The credentials were good and there is work: QBWC opens QuickBooks next."""
        self.status, self.expected, self.last_activity = "open", SEND, at

    @event(AuthenticationRefused)
    def refuse(self, code: int, reason: str, at: datetime) -> None:
        """Authentication failed with a 90xxx code (never the password, which is not kept)."""
        self.status, self.refusal_code, self.last_error = "refused", code, reason
        self.expected, self.last_activity, self.ended_at = CLOSE, at, at

    @event(FoundBusy)
    def report_busy(self, holder_session_id: UUID, at: datetime) -> None:
        """Another Web Connector is running an update on this connector."""
        self.status, self.expected, self.last_activity, self.ended_at = "busy", CLOSE, at, at
        self.last_error = (
            "Another QuickBooks Web Connector is updating this web connector "
            "right now; this one will try again later."
        )

    @event(FoundNoWork)
    def report_no_work(self, at: datetime) -> None:
        """Nothing to send or fetch: QBWC is told `none` and QuickBooks is not opened."""
        self.status, self.expected, self.last_activity, self.ended_at = "none", CLOSE, at, at
        self.last_error = "Nothing to transfer right now."

    # -- the exchange of messages ----------------------------------------------------------------

    @event(CompanyChecked)
    def record_company(
        self, host: dict[str, Any], company_file: str, qbxml_version: str, at: datetime
    ) -> None:
        """The first sendRequestXML: what QuickBooks and the open company file are."""
        self.host, self.company_file, self.qbxml_version = host, company_file, qbxml_version
        self.last_activity = at

    @event(WorkPlanned)
    def plan(self, steps: list[str], at: datetime) -> None:
        """The steps this session will go through, in order."""
        self.steps, self.work, self.last_activity = list(steps), SessionWork(), at

    @event(RequestSent)
    def send(self, exchange_id: UUID, purpose: str, work: SessionWork, at: datetime) -> None:
        """A qbXML message went to QBWC; its answer comes with receiveResponseXML."""
        self.in_flight, self.expected, self.last_activity = exchange_id, RECEIVE, at
        self.purpose, self.work = purpose, work
        self.exchanges += 1

    @event(RequestResent)
    def resend(self, exchange_id: UUID, at: datetime) -> None:
        """QBWC asked again before answering: it never got the message, so it goes again."""
        self.last_activity = at

    @event(ResponseReceived)
    def receive(
        self,
        exchange_id: UUID,
        work: SessionWork,
        progress: int,
        response_digest: str,
        at: datetime,
    ) -> None:
        """QBWC delivered QuickBooks' answer (or its HRESULT); the steps moved on."""
        self.in_flight, self.last_exchange = None, exchange_id
        self.last_response_digest = response_digest
        self.work, self.progress, self.last_activity = work, progress, at
        self.expected = CLOSE if progress >= 100 else SEND

    @event(ConnectionErrorReported)
    def report_connection_error(
        self, hresult: str, message: str, retry: bool, at: datetime
    ) -> None:
        """QBWC could not open QuickBooks or the company file."""
        self.connection_errors += 1
        self.last_activity = at
        if not retry:
            self.status, self.expected, self.ended_at = "failed", CLOSE, at
            self.last_error = message

    @event(Failed)
    def fail(self, message: str, at: datetime) -> None:
        """The session cannot go on; getLastError shows `message`."""
        self.status, self.last_error, self.expected, self.last_activity = (
            "failed",
            message,
            LAST_ERROR,
            at,
        )

    @event(ErrorShown)
    def show_error(self, at: datetime) -> None:
        """QBWC read the error; it closes the connection next."""
        self.expected, self.last_activity = CLOSE, at

    # -- the end ---------------------------------------------------------------------------------

    @event(Closed)
    def close(self, result: str, at: datetime) -> None:
        """closeConnection: the update is over."""
        self.status = "closed" if self.status in ("open", "closed") else self.status
        self.result = self.result or result
        self.expected, self.last_activity = None, at
        self.ended_at = self.ended_at or at

    @event(Abandoned)
    def abandon(self, reason: str, at: datetime) -> None:
        """The Web Connector started over without closing this session (it died)."""
        self.status, self.result, self.expected, self.ended_at = "abandoned", reason, None, at

    @event(Expired)
    def expire(self, at: datetime) -> None:
        """QBWC went quiet for longer than the idle timeout."""
        self.status, self.expected, self.ended_at = "expired", None, at
        self.result = self.result or "expired"
        self.last_error = (
            "The session expired: QBWC was silent for more than 60 minutes. The "
            "next run starts afresh."
        )

"""Exchanges: one qbXML request and what came back for it, kept word for word for auditors.

The XML texts are in the events only; the aggregate's state keeps sizes and outcome, so loading
an exchange stays cheap however large its messages are.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Exchange(Aggregate):
    """A request/response pair of one QBWC session."""

    # -- events ------------------------------------------------------------------------

    class RequestSent(Aggregate.Created):
        session_id: UUID
        connector_id: UUID
        seq: int
        purpose: str
        request_ids: list[str]
        request_xml: str
        sent_at: datetime

    class ResponseReceived(Aggregate.Event):
        response_xml: str
        received_at: datetime

    class ErrorReceived(Aggregate.Event):
        hresult: str
        message: str
        received_at: datetime

    class MarkedInDoubt(Aggregate.Event):
        reason: str
        at: datetime

    @event(RequestSent)
    def __init__(
        self,
        id: UUID,
        session_id: UUID,
        connector_id: UUID,
        seq: int,  # noqa: A002
        purpose: str,
        request_ids: list[str],
        request_xml: str,
        sent_at: datetime,
    ) -> None:
        self.session_id = session_id
        self.connector_id = connector_id
        self.seq = seq
        self.purpose = purpose
        self.request_ids = list(request_ids)
        self.request_size = len(request_xml)
        self.sent_at = sent_at
        self.status = "sent"  # answered, rejected (HRESULT), in_doubt
        self.received_at: datetime | None = None

    @event(ResponseReceived)
    def record_response(self, response_xml: str, received_at: datetime) -> None:
        """QuickBooks processed the message; its answer, as QBWC delivered it."""
        self.status, self.received_at = "answered", received_at

    @event(ErrorReceived)
    def record_error(self, hresult: str, message: str, received_at: datetime) -> None:
        """QuickBooks' request processor refused the message; nothing in it ran."""
        self.status, self.received_at = "rejected", received_at

    @event(MarkedInDoubt)
    def mark_in_doubt(self, reason: str, at: datetime) -> None:
        """The answer never came: whether QuickBooks applied the message is unknown."""
        self.status = "in_doubt"

    @property
    def duration_ms(self) -> int | None:
        if self.received_at is None:
            return None
        return int((self.received_at - self.sent_at).total_seconds() * 1000)

"""A notification the engine decided to send: a digest of one session's transfer failures, or
an alert (authentication started failing, an inventory sync failed).

Deciding and sending are two steps with an event each. The decision is recorded once, under an
id derived from what it reports (two schedulers racing to decide the same digest collide in
the event store and one of them stores nothing), and carries everything the message says, so
a send after a crash or a restart sends the same message again, never a different one."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

# A delivery that keeps failing (the mail server refuses it) is tried this many times, with a
# growing pause in between, then left for `qbtransfer notices` to show.
MAX_DELIVERY_ATTEMPTS = 12


def notice_id(key: str) -> UUID:
    """The notice about `key` ("sessions/<id>", "authentication/<connector>/<session>", ...)."""
    return uuid5(NAMESPACE_URL, f"qbtransfer:/notices/{key}")


class Notice(Aggregate):
    """One notification, from its decision to its delivery."""

    class Decided(Aggregate.Created):
        key: str
        connector_id: UUID
        connector_name: str
        topic: str  # "transfer_failures", "authentication", "inventory"
        recipients: list[str]
        # What it reports: one dict per failure (kind, psa_id, number, party, code, message)
        # or the alert's facts.
        items: list[dict[str, Any]]
        repeats: int  # identical failures reported in the last 24 hours, left out
        at: datetime

    class Delivered(Aggregate.Event):
        via: str
        at: datetime

    class DeliveryFailed(Aggregate.Event):
        error: str
        attempt: int
        at: datetime

    @event(Decided)
    def __init__(
        self,
        key: str,
        connector_id: UUID,
        connector_name: str,
        topic: str,
        recipients: list[str],
        items: list[dict[str, Any]],
        repeats: int,
        at: datetime,
    ) -> None:
        self.key, self.connector_id, self.connector_name = key, connector_id, connector_name
        self.topic, self.recipients, self.items, self.repeats = topic, recipients, items, repeats
        self.decided_at = at
        self.delivered_at: datetime | None = None
        self.attempts = 0
        self.last_error: str | None = None

    @classmethod
    def create_id(cls, key: str, **_: Any) -> UUID:
        """Derived from what it reports: deciding it twice is one decision."""
        return notice_id(key)

    @property
    def to_send(self) -> bool:
        """Whether a message is still owed: there is something new to say, someone to say it
        to, it has not gone yet, and tries remain."""
        return (
            bool(self.items)
            and bool(self.recipients)
            and self.delivered_at is None
            and self.attempts < MAX_DELIVERY_ATTEMPTS
        )

    @property
    def status(self) -> str:
        """sent, pending, failing, given_up, nothing_new (every failure a repeat) or
        no_recipients (the connector has no e-mail addresses)."""
        if not self.items:
            return "nothing_new"
        if not self.recipients:
            return "no_recipients"
        if self.delivered_at is not None:
            return "sent"
        if self.attempts >= MAX_DELIVERY_ATTEMPTS:
            return "given_up"
        return "failing" if self.attempts else "pending"

    @event(Delivered)
    def record_delivery(self, via: str, at: datetime) -> None:
        """The mail server (or the outbox) took the message."""
        self.delivered_at = at

    @event(DeliveryFailed)
    def record_failed_delivery(self, error: str, attempt: int, at: datetime) -> None:
        """Sending failed (`error` never holds the SMTP password): tried again later."""
        self.attempts, self.last_error = attempt, error

"""What the engine needs from read models, as interfaces the projections implement.

Commands that choose among QuickBooks' records (mappings) or look across every PSA record
(the readiness check) are handed these; the engine never imports the projections."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID


class QuickBooksDirectory(Protocol):
    """The QuickBooks records each connector's company file has (from the lists read model)."""

    def find(
        self,
        connector_id: UUID,
        list_name: str,
        name_or_list_id: str,
    ) -> dict[str, Any] | None:
        """A record by ListID, or by full name ignoring case."""

    def find_applied(
        self,
        connector_id: UUID,
        list_name: str,
        name_or_list_id: str,
    ) -> dict[str, Any] | None:
        """The same, from what the read model has applied so far: it never waits for the
        runner (a QBWC call must not)."""

    def records(
        self,
        connector_id: UUID,
        list_name: str,
        *,
        active_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Every record of one list."""


class PsaCatalog(Protocol):
    """Every imported PSA record (from the PSA read model)."""

    def records_of(self, kind: str) -> list[dict[str, Any]]:
        """psa_id, name, data, connector_id, status and changed_after_transfer of each record."""


class TransferQueue(Protocol):
    """Where each document's transfer stands (from the transfers read model). It proposes; a
    step loads each Transfer aggregate before acting on it."""

    def open_transfers(
        self, connector_id: UUID, kind: str, limit: int, after: str | None = None
    ) -> list[tuple[str, UUID]]:
        """(queue position, id) of one connector's transfers of `kind` not (yet) in
        QuickBooks nor withdrawn, in queue order (the longest waiting first), after the
        position `after`."""

    def count_open(self, connector_id: UUID, kind: str) -> int:
        """How many such transfers there are."""

    def unpaid(
        self, connector_id: UUID, since: str, limit: int, after: str | None = None
    ) -> list[tuple[str, UUID, str]]:
        """(position, transfer id, TxnID) of the invoices the connector put in QuickBooks,
        dated `since` or later, without a paid date, in order after `after`."""

    def holding(self, connector_id: UUID, txn_ids: list[str]) -> list[UUID]:
        """The transfers of the connector that put one of `txn_ids` in QuickBooks."""


class NoticeBoard(Protocol):
    """What the notifier decides from, and what it owes (from the notices read model)."""

    def undecided_sessions(self, since: str, limit: int = 100) -> list[dict[str, Any]]:
        """Sessions ended at `since` or later with transfer failures and no notice yet."""

    def failures_of(self, session_id: str) -> list[dict[str, Any]]:
        """A session's failed attempts, in order."""

    def undecided_alerts(self, since: str, limit: int = 100) -> list[dict[str, Any]]:
        """Authentication and inventory alerts raised at `since` or later, no notice yet."""

    def reported_since(self, connector_id: str, since: str) -> set[tuple[str, str, Any, str]]:
        """(topic, subject, code, message) of what was reported about a connector since."""

    def owed(self, limit: int = 100) -> list[dict[str, Any]]:
        """Notices whose message has not gone yet."""

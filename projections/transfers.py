"""The transfers read model: where every document's transfer through every connector stands.
It is the pending queues (Pending: queued, never tried; Pending/Failed: tried, failed, still to
be retried) that feed a session's transfer steps, and the engine's `TransferQueue`."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from engine.aggregates.psa import Document
from engine.aggregates.transfer import DONE, Transfer
from engine.kinds import TransferStatus
from projections.base import ReadModelView

# Not (yet) in QuickBooks and not taken off the queue: a session has something to do.
_CLOSED = tuple(sorted({*DONE, TransferStatus.WITHDRAWN, TransferStatus.DELETED_IN_QUICKBOOKS}))
# A skipped transfer is looked at again by a session (it goes once what it was skipped for
# changes), but is in neither queue people see: it is waiting for nothing.
_NOT_PENDING = tuple(sorted({*_CLOSED, TransferStatus.SKIPPED}))


class TransfersView(ReadModelView):
    """Writes and queries of the transfers read model."""

    TABLES: ClassVar[dict[str, str]] = {
        "transfers": "id TEXT PRIMARY KEY, connector_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "psa_id TEXT NOT NULL, document_id TEXT NOT NULL, number TEXT NOT NULL, "
        "status TEXT NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, tried INTEGER NOT NULL DEFAULT 0, "
        "failure_code INTEGER, failure_message TEXT, txn_id TEXT, ref_number TEXT, "
        "txn_date TEXT, paid_date TEXT, paid_source TEXT, "
        "queued_at TEXT NOT NULL, updated_at TEXT NOT NULL",
    }
    INDEXES: ClassVar[dict[str, str]] = {
        "transfers_by_queue": "transfers (connector_id, kind, status, queued_at)",
        "transfers_by_document": "transfers (document_id)",
        "transfers_by_txn": "transfers (connector_id, txn_id)",
    }

    def queued(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "INSERT INTO {transfers} (id, connector_id, kind, psa_id, document_id, number, "
                "status, queued_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    str(event.connector_id),
                    event.kind,
                    event.psa_id,
                    str(event.document_id),
                    event.number,
                    TransferStatus.QUEUED,
                    event.at.isoformat(),
                    event.at.isoformat(),
                ),
                False,
            ),
        )

    def paid(self, event: Any, tracking: Tracking, paid_date: str | None, source: str) -> None:
        """A document's paid date, on each of its transfers."""
        self.write(
            tracking,
            (
                "UPDATE {transfers} SET paid_date = ?, paid_source = ?, updated_at = ? "
                "WHERE document_id = ?",
                (
                    paid_date,
                    source if paid_date else None,
                    event.at.isoformat(),
                    str(event.originator_id),
                ),
                False,
            ),
        )

    def update(self, event: Any, tracking: Tracking, **columns: Any) -> None:
        self.set_columns(
            tracking,
            "transfers",
            str(event.originator_id),
            **columns,
            updated_at=event.at.isoformat(),
        )

    # -- queries -------------------------------------------------------------------------------

    def open_transfers(
        self, connector_id: UUID, kind: str, limit: int, after: str | None = None
    ) -> list[tuple[str, UUID]]:
        """(queue position, id) of the transfers of one connector and kind a session may have
        to act on (queued, failed, sent without an answer), the longest waiting first, after
        the position `after` ("queued_at|id")."""
        marks = ", ".join("?" for _ in _CLOSED)
        where, params = "", []
        if after:
            queued_at, _, last_id = after.partition("|")
            where, params = (
                " AND (queued_at > ? OR (queued_at = ? AND id > ?))",
                [queued_at, queued_at, last_id],
            )
        rows = self.query(
            f"SELECT id, queued_at FROM {{transfers}} WHERE connector_id = ? AND kind = ? AND "
            f"status NOT IN ({marks}){where} ORDER BY queued_at, id LIMIT ?",
            (str(connector_id), kind, *_CLOSED, *params, limit),
        )
        return [(f"{row['queued_at']}|{row['id']}", UUID(row["id"])) for row in rows]

    def unpaid(
        self, connector_id: UUID, since: str, limit: int, after: str | None = None
    ) -> list[tuple[str, UUID, str]]:
        """(position, transfer id, TxnID) of the invoices this connector put in QuickBooks,
        dated `since` or later, with no paid date yet, in TxnID order after `after`."""
        marks = ", ".join("?" for _ in DONE)
        rows = self.query(
            f"SELECT id, txn_id FROM {{transfers}} WHERE connector_id = ? AND kind = 'invoices' "
            f"AND status IN ({marks}) AND txn_id IS NOT NULL AND txn_date >= ? "
            "AND paid_date IS NULL AND txn_id > ? ORDER BY txn_id LIMIT ?",
            (str(connector_id), *sorted(DONE), since, after or "", limit),
        )
        return [(row["txn_id"], UUID(row["id"]), row["txn_id"]) for row in rows]

    def holding(self, connector_id: UUID, txn_ids: list[str]) -> list[UUID]:
        """The connector's transfers in QuickBooks under one of `txn_ids`."""
        found: list[UUID] = []
        for start in range(0, len(txn_ids), 500):  # a bounded number of parameters
            chunk = txn_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.query(
                f"SELECT id FROM {{transfers}} WHERE connector_id = ? AND txn_id IN ({marks})",
                (str(connector_id), *chunk),
            )
            found += [UUID(row["id"]) for row in rows]
        return found

    def outcomes(self, since: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """What QuickBooks holds of each transferred document, by (kind, PSA id): TxnID,
        number, date, paid date and when that last changed (`since`: changed then or later)."""
        marks = ", ".join("?" for _ in DONE)
        rows = self.query(
            "SELECT kind, psa_id, connector_id, txn_id, ref_number, txn_date, paid_date, "
            f"updated_at FROM {{transfers}} WHERE status IN ({marks})"
            + (" AND updated_at >= ?" if since else ""),
            (*sorted(DONE), *([since] if since else [])),
        )
        return {(r["kind"], r["psa_id"]): r for r in rows}

    def count_open(self, connector_id: UUID, kind: str) -> int:
        """How many transfers of one connector and kind are open."""
        marks = ", ".join("?" for _ in _CLOSED)
        rows = self.query(
            f"SELECT COUNT(*) AS n FROM {{transfers}} WHERE connector_id = ? AND kind = ? AND "
            f"status NOT IN ({marks})",
            (str(connector_id), kind, *_CLOSED),
        )
        return int(rows[0]["n"])

    def transfers(
        self,
        connector_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Transfers, the latest changed first, filtered by connector, kind and status
        ("pending" and "pending_failed" are the two queues)."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("connector_id", connector_id), ("kind", kind)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if status in ("pending", "pending_failed"):
            marks = ", ".join("?" for _ in _NOT_PENDING)
            where.append(f"status NOT IN ({marks}) AND tried = ?")
            params += [*_NOT_PENDING, 1 if status == "pending_failed" else 0]
        elif status:
            where.append("status = ?")
            params.append(status)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        return self.query(
            f"SELECT * FROM {{transfers}} {clause}ORDER BY updated_at DESC, id LIMIT ?",
            (*params, limit),
        )


T = Transfer
# Every event of a transfer (the history follows the same ones).
TRANSFER_EVENTS = (
    T.Queued,
    T.Requeued,
    T.ModificationQueued,
    T.Dequeued,
    T.Sent,
    T.Succeeded,
    T.Failed,
    T.MarkedInDoubt,
    T.Skipped,
    T.Verified,
    T.FoundMissing,
    T.MarkedTransferred,
    T.MarkedNotTransferred,
    T.DeletedInQuickBooks,
)


class TransfersProjection(Projection[TransfersView]):
    """Follows Transfer events into the transfers read model."""

    name = "Transfers"
    topics = tuple(
        get_topic(e) for e in (*TRANSFER_EVENTS, Document.PaidInQuickBooks, Document.PaidDateSet)
    )

    @singledispatchmethod
    def process_event(self, domain_event: DomainEventProtocol, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: T.Queued, tracking: Tracking) -> None:
        self.view.queued(e, tracking)

    @process_event.register
    def _(self, e: T.Requeued, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.REQUEUED)

    @process_event.register
    def _(self, e: T.ModificationQueued, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.REQUEUED, tried=0)

    @process_event.register
    def _(self, e: T.Dequeued, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.WITHDRAWN)

    @process_event.register
    def _(self, e: T.Sent, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.SENT, attempts=e.attempt, tried=1)

    @process_event.register
    def _(self, e: T.Succeeded, tracking: Tracking) -> None:
        self.view.update(
            e,
            tracking,
            status=TransferStatus.SUCCEEDED,
            txn_id=e.txn_id,
            ref_number=e.ref_number,
            txn_date=e.txn_date,
            failure_code=None,
            failure_message=None,
        )

    @process_event.register
    def _(self, e: T.Failed, tracking: Tracking) -> None:
        self.view.update(
            e,
            tracking,
            status=TransferStatus.FAILED,
            failure_code=e.code,
            failure_message=e.message,
            tried=1,
        )

    @process_event.register
    def _(self, e: T.MarkedInDoubt, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.IN_DOUBT)

    @process_event.register
    def _(self, e: T.Skipped, tracking: Tracking) -> None:
        self.view.update(
            e, tracking, status=TransferStatus.SKIPPED, failure_code=None, failure_message=e.reason
        )

    @process_event.register
    def _(self, e: T.Verified, tracking: Tracking) -> None:
        self.view.update(
            e,
            tracking,
            status=TransferStatus.VERIFIED,
            txn_id=e.txn_id,
            ref_number=e.ref_number,
            txn_date=e.txn_date,
        )

    @process_event.register
    def _(self, e: T.FoundMissing, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.QUEUED)

    @process_event.register
    def _(self, e: T.MarkedTransferred, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.MARKED_TRANSFERRED)

    @process_event.register
    def _(self, e: T.MarkedNotTransferred, tracking: Tracking) -> None:
        self.view.update(
            e, tracking, status=TransferStatus.MARKED_NOT_TRANSFERRED, txn_id=None, ref_number=None
        )

    @process_event.register
    def _(self, e: T.DeletedInQuickBooks, tracking: Tracking) -> None:
        self.view.update(e, tracking, status=TransferStatus.DELETED_IN_QUICKBOOKS)

    @process_event.register
    def _(self, e: Document.PaidInQuickBooks, tracking: Tracking) -> None:
        self.view.paid(e, tracking, e.paid_date, "quickbooks")

    @process_event.register
    def _(self, e: Document.PaidDateSet, tracking: Tracking) -> None:
        # A paid date cleared by hand is not asked of QuickBooks again: "manual" stays.
        self.view.paid(e, tracking, e.paid_date or "", "manual")

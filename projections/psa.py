"""The PSA read model: every imported record and document with its status and connector
assignment. It lists documents and mapping candidates and is the engine's PsaCatalog."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from engine.aggregates.psa import Document, PsaRecord
from engine.kinds import DocumentStatus
from engine.psa import display_name
from projections.base import ReadModelView


class PsaView(ReadModelView):
    """Writes and queries of the PSA read model."""

    TABLES: ClassVar[dict[str, str]] = {
        "records": "aggregate_id TEXT PRIMARY KEY, kind TEXT NOT NULL, psa_id TEXT NOT NULL, "
        "name TEXT NOT NULL, data TEXT NOT NULL, connector_id TEXT, status TEXT, "
        "changed_after_transfer INTEGER NOT NULL DEFAULT 0, updated_at TEXT",
    }
    INDEXES: ClassVar[dict[str, str]] = {"records_by_kind": "records (kind, psa_id)"}

    def imported(self, event: Any, tracking: Tracking, status: str | None) -> None:
        self.write(
            tracking,
            (
                "INSERT INTO {records} (aggregate_id, kind, psa_id, name, data, status, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    event.kind,
                    event.psa_id,
                    display_name(event.kind, event.data),
                    json.dumps(event.data),
                    status,
                    event.imported_at.isoformat(),
                ),
                False,
            ),
        )

    def changed(self, event: Any, tracking: Tracking) -> None:
        [row] = self.query(
            "SELECT kind FROM {records} WHERE aggregate_id = ?", (str(event.originator_id),)
        )
        # A transferred document that changes is flagged (the aggregate does the same).
        self.write(
            tracking,
            (
                "UPDATE {records} SET name = ?, data = ?, updated_at = ?, changed_after_transfer = "
                f"CASE WHEN status = '{DocumentStatus.TRANSFERRED}' THEN 1 "
                "ELSE changed_after_transfer END "
                "WHERE aggregate_id = ?",
                (
                    display_name(row["kind"], event.data),
                    json.dumps(event.data),
                    event.at.isoformat(),
                    str(event.originator_id),
                ),
                False,
            ),
        )

    def set_status(self, event: Any, tracking: Tracking, status: str) -> None:
        self.write(
            tracking,
            (
                "UPDATE {records} SET status = ?, changed_after_transfer = 0, updated_at = ? "
                "WHERE aggregate_id = ?",
                (status, event.at.isoformat(), str(event.originator_id)),
                False,
            ),
        )

    def assigned(self, event: Any, tracking: Tracking) -> None:
        connector = str(event.connector_id) if event.connector_id else None
        self.write(
            tracking,
            (
                "UPDATE {records} SET connector_id = ? WHERE aggregate_id = ?",
                (connector, str(event.originator_id)),
                False,
            ),
        )

    # -- queries (PsaCatalog) --------------------------------------------------------------------

    def records_of(self, kind: str) -> list[dict[str, Any]]:
        """Every record of one kind, by PSA id."""
        rows = self.query(
            "SELECT kind, psa_id, name, data, connector_id, status, "
            "changed_after_transfer FROM {records} WHERE kind = ? ORDER BY psa_id",
            (kind,),
        )
        for row in rows:
            row["data"] = json.loads(row["data"])
            row["changed_after_transfer"] = bool(row["changed_after_transfer"])
        return rows

    def documents(self, kinds: list[str], status: str | None = None) -> list[dict[str, Any]]:
        """Documents of the given kinds (and status), newest first."""
        out = []
        for kind in kinds:
            out += [r for r in self.records_of(kind) if status is None or r["status"] == status]
        return out


class PsaProjection(Projection[PsaView]):
    """Follows PSA records and documents into the read model."""

    name = "PsaRecords"
    topics = tuple(
        get_topic(e)
        for e in (
            PsaRecord.Imported,
            PsaRecord.Changed,
            PsaRecord.AssignedToConnector,
            Document.Imported,
            Document.Changed,
            Document.MarkedReadyToTransfer,
            Document.Withdrawn,
            Document.MarkedTransferred,
            Document.MarkedNotTransferred,
            Document.DeletedInQuickBooks,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: DomainEventProtocol, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: PsaRecord.Imported, tracking: Tracking) -> None:
        self.view.imported(e, tracking, None)

    @process_event.register
    def _(self, e: Document.Imported, tracking: Tracking) -> None:
        self.view.imported(e, tracking, DocumentStatus.NOT_READY)

    @process_event.register
    def _(self, e: PsaRecord.Changed, tracking: Tracking) -> None:
        self.view.changed(e, tracking)

    @process_event.register
    def _(self, e: Document.Changed, tracking: Tracking) -> None:
        self.view.changed(e, tracking)

    @process_event.register
    def _(self, e: PsaRecord.AssignedToConnector, tracking: Tracking) -> None:
        self.view.assigned(e, tracking)

    @process_event.register
    def _(self, e: Document.MarkedReadyToTransfer, tracking: Tracking) -> None:
        self.view.set_status(e, tracking, DocumentStatus.READY)

    @process_event.register
    def _(self, e: Document.Withdrawn, tracking: Tracking) -> None:
        self.view.set_status(e, tracking, DocumentStatus.WITHDRAWN)

    @process_event.register
    def _(self, e: Document.MarkedTransferred, tracking: Tracking) -> None:
        self.view.set_status(e, tracking, DocumentStatus.TRANSFERRED)

    @process_event.register
    def _(self, e: Document.MarkedNotTransferred, tracking: Tracking) -> None:
        self.view.set_status(e, tracking, DocumentStatus.READY)

    @process_event.register
    def _(self, e: Document.DeletedInQuickBooks, tracking: Tracking) -> None:
        self.view.set_status(e, tracking, DocumentStatus.DELETED_IN_QUICKBOOKS)

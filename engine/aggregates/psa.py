"""What the engine holds of the PSA: reference records (organizations, resources, codes,
products) and documents (invoices, timesheets, expense reports, purchase orders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from engine.errors import Conflict, InvalidValue
from engine.kinds import DocumentStatus, TransferKind
from engine.psa import KINDS


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every top-level field that differs."""
    return {
        key: [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


class PsaRecord(Aggregate):
    """An organization, resource, line of business, code or product, as last imported."""

    # -- events ------------------------------------------------------------------------

    class Imported(Aggregate.Created):
        kind: str
        psa_id: str
        data: dict[str, Any]
        imported_at: datetime

    class Changed(Aggregate.Event):
        data: dict[str, Any]
        changes: dict[str, list[Any]]
        at: datetime

    class AssignedToConnector(Aggregate.Event):
        connector_id: UUID | None
        by: str
        at: datetime

    @event(Imported)
    def __init__(
        self,
        id: UUID,
        kind: str,
        psa_id: str,
        data: dict[str, Any],  # noqa: A002
        imported_at: datetime,
    ) -> None:
        self.kind = kind
        self.psa_id = psa_id
        self.data = data
        self.imported_at = imported_at
        self.connector_id: UUID | None = None  # None: the default connector

    @event(Changed)
    def change(self, data: dict[str, Any], changes: dict[str, list[Any]], at: datetime) -> None:
        """A later import brought different values (`changes` says which, old and new)."""
        self.data = data

    def assign(self, connector_id: UUID | None, by: str, at: datetime) -> None:
        """Send this organization's or resource's work to a connector (None: the default)."""
        if self.kind not in ("organizations", "resources"):
            raise InvalidValue(
                f"only organizations and resources are assigned to connectors, "
                f"not {KINDS[self.kind].singular}s"
            )
        if connector_id != self.connector_id:
            self._assigned(connector_id=connector_id, by=by, at=at)

    @event(AssignedToConnector)
    def _assigned(self, connector_id: UUID | None, by: str, at: datetime) -> None:
        self.connector_id = connector_id


class Document(Aggregate):
    """A billing document and where it stands on its way to QuickBooks.

    Status: not_ready, ready (shown "Pending"), withdrawn, transferred. A transferred document
    that the PSA changes afterwards is flagged, never silently sent again.
    """

    # -- events ------------------------------------------------------------------------

    class Imported(Aggregate.Created):
        kind: str
        psa_id: str
        data: dict[str, Any]
        imported_at: datetime

    class Changed(Aggregate.Event):
        data: dict[str, Any]
        changes: dict[str, list[Any]]
        at: datetime

    class MarkedReadyToTransfer(Aggregate.Event):
        by: str
        at: datetime

    class Withdrawn(Aggregate.Event):
        by: str
        at: datetime

    class MarkedTransferred(Aggregate.Event):
        connector_id: UUID
        reference: dict[str, Any]
        by: str
        at: datetime

    class MarkedNotTransferred(Aggregate.Event):
        by: str
        at: datetime

    class ResyncedToQuickBooks(Aggregate.Event):
        reference: dict[str, Any]
        at: datetime

    class DeletedInQuickBooks(Aggregate.Event):
        connector_id: UUID
        txn_id: str
        time_deleted: str
        at: datetime

    class PaidInQuickBooks(Aggregate.Event):
        paid_date: str
        at: datetime

    class PaidDateSet(Aggregate.Event):
        paid_date: str | None
        by: str
        at: datetime

    @event(Imported)
    def __init__(
        self,
        id: UUID,
        kind: str,
        psa_id: str,
        data: dict[str, Any],  # noqa: A002
        imported_at: datetime,
    ) -> None:
        self.kind = kind
        self.psa_id = psa_id
        self.data = data
        self.imported_at = imported_at
        self.status = DocumentStatus.NOT_READY
        self.changed_after_transfer = False
        self.quickbooks: dict[str, Any] | None = None
        self.paid: dict[str, Any] | None = None  # {"date", "source": "quickbooks" or "manual"}

    @event(Changed)
    def change(self, data: dict[str, Any], changes: dict[str, list[Any]], at: datetime) -> None:
        """A later import brought different values."""
        self.data = data
        if self.status == DocumentStatus.TRANSFERRED:
            self.changed_after_transfer = True

    def check_can_be_ready(self) -> None:
        """Refuse to queue what QuickBooks must not get."""
        label = f"{KINDS[self.kind].singular} {self.psa_id}"
        if self.status == DocumentStatus.TRANSFERRED:
            raise Conflict(f"{label} was already transferred to QuickBooks")
        if self.status == DocumentStatus.DELETED_IN_QUICKBOOKS:
            raise Conflict(
                f"{label} was transferred, then deleted in QuickBooks; to send it again, mark "
                "it not transferred"
            )
        if (
            self.kind in (TransferKind.TIMESHEETS, TransferKind.EXPENSE_REPORTS)
            and self.data.get("status") != "approved"
        ):
            raise InvalidValue(
                f"{label} is {self.data.get('status')}; only approved "
                f"{KINDS[self.kind].singular}s can be transferred"
            )
        if self.kind == TransferKind.PURCHASE_ORDERS and self.data.get("status") == "canceled":
            raise InvalidValue(f"{label} is canceled; canceled purchase orders are not transferred")

    def mark_ready(self, by: str, at: datetime) -> bool:
        """Queue the document for its connector's next QBWC run; False if it already was."""
        self.check_can_be_ready()
        if self.status == DocumentStatus.READY:
            return False
        self._marked_ready(by=by, at=at)
        return True

    @event(MarkedReadyToTransfer)
    def _marked_ready(self, by: str, at: datetime) -> None:
        self.status = DocumentStatus.READY

    def withdraw(self, by: str, at: datetime) -> None:
        """Take the document off the queue."""
        label = f"{KINDS[self.kind].singular} {self.psa_id}"
        if self.status == DocumentStatus.TRANSFERRED:
            raise Conflict(f"{label} was already transferred to QuickBooks")
        if self.status != DocumentStatus.READY:
            raise Conflict(f"{label} is not ready to transfer, so there is nothing to withdraw")
        self._withdrawn(by=by, at=at)

    @event(Withdrawn)
    def _withdrawn(self, by: str, at: datetime) -> None:
        self.status = DocumentStatus.WITHDRAWN

    def mark_transferred(
        self, connector_id: UUID, reference: dict[str, Any], by: str, at: datetime
    ) -> None:
        """Record that the document is in QuickBooks (by a transfer, or entered by hand)."""
        if self.status == DocumentStatus.TRANSFERRED:
            raise Conflict(
                f"{KINDS[self.kind].singular} {self.psa_id} is already marked transferred"
            )
        self._marked_transferred(connector_id=connector_id, reference=reference, by=by, at=at)

    @event(MarkedTransferred)
    def _marked_transferred(
        self, connector_id: UUID, reference: dict[str, Any], by: str, at: datetime
    ) -> None:
        self.status = DocumentStatus.TRANSFERRED
        self.changed_after_transfer = False
        self.quickbooks = {"connector_id": str(connector_id), **reference}

    def record_resync(self, reference: dict[str, Any], at: datetime) -> None:
        """Its change after transfer reached QuickBooks (a modification): no longer flagged."""
        if self.status == DocumentStatus.TRANSFERRED and self.changed_after_transfer:
            self._resynced(reference=reference, at=at)

    @event(ResyncedToQuickBooks)
    def _resynced(self, reference: dict[str, Any], at: datetime) -> None:
        self.changed_after_transfer = False
        self.quickbooks = {**(self.quickbooks or {}), **reference}

    def mark_not_transferred(self, by: str, at: datetime) -> None:
        """A person says the document is not in QuickBooks after all (or no longer, once it
        was deleted there): it is ready again."""
        if self.status in (DocumentStatus.TRANSFERRED, DocumentStatus.DELETED_IN_QUICKBOOKS):
            self._marked_not_transferred(by=by, at=at)

    def record_deletion(
        self, connector_id: UUID, txn_id: str, time_deleted: str, at: datetime
    ) -> None:
        """Its transaction (or one of them: a timesheet's day) was deleted in QuickBooks."""
        if self.status == DocumentStatus.TRANSFERRED:
            self._deleted_in_quickbooks(
                connector_id=connector_id, txn_id=txn_id, time_deleted=time_deleted, at=at
            )

    @event(DeletedInQuickBooks)
    def _deleted_in_quickbooks(
        self, connector_id: UUID, txn_id: str, time_deleted: str, at: datetime
    ) -> None:
        self.status = DocumentStatus.DELETED_IN_QUICKBOOKS
        self.quickbooks = {
            **(self.quickbooks or {}),
            "deleted": time_deleted,
            "deleted_txn": txn_id,
        }

    @event(MarkedNotTransferred)
    def _marked_not_transferred(self, by: str, at: datetime) -> None:
        self.status, self.quickbooks = DocumentStatus.READY, None

    def record_paid_in_quickbooks(self, paid_date: str, at: datetime) -> bool:
        """QuickBooks says the invoice is fully paid, last on `paid_date`. A paid date set by
        hand is never overwritten; returns whether anything changed."""
        paid = getattr(self, "paid", None)
        if paid is not None and (paid["source"] == "manual" or paid["date"] == paid_date):
            return False
        self._paid_in_quickbooks(paid_date=paid_date, at=at)
        return True

    @event(PaidInQuickBooks)
    def _paid_in_quickbooks(self, paid_date: str, at: datetime) -> None:
        self.paid = {"date": paid_date, "source": "quickbooks"}

    @event(PaidDateSet)
    def set_paid_date(self, paid_date: str | None, by: str, at: datetime) -> None:
        """A person sets (or clears, with None) the paid date; QuickBooks never overwrites it."""
        self.paid = {"date": paid_date, "source": "manual", "by": by} if paid_date else None

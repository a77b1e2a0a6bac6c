"""A connector's full inventory syncs (product-spec §6.7): the adjustment in flight, if any, and
the Inventory Synchronization History (each run, what it set and each item it skipped).

The adjustment sets every item's quantity on hand (`NewQuantity`), and carries an
ExternalGUID, so a run whose answer was lost is looked for before it is ever sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

RUNS_KEPT = 100  # the history keeps the last runs; each run's events stay in the store
SKIPPED_KEPT = 1_000  # items listed per run (the count is always whole)


class InventorySync(Aggregate):
    """One connector's inventory syncs."""

    class Created(Aggregate.Created):
        connector_id: UUID

    class AdjustmentSent(Aggregate.Event):
        external_guid: str
        session_id: UUID
        exchange_id: UUID
        lines: int
        at: datetime
        on: str  # its TxnDate: where a lost answer is looked for from

    class Finished(Aggregate.Event):
        outcome: str  # "succeeded" or "failed"
        message: str
        txn_id: str | None
        adjusted: int
        skipped: list[dict[str, str]]  # {"item", "reason"}
        skipped_count: int
        session_id: UUID | None
        at: datetime

    @staticmethod
    def create_id(connector_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"qbtransfer:/connectors/{connector_id}/inventory-sync")

    @event(Created)
    def __init__(self, connector_id: UUID) -> None:
        self.connector_id = connector_id
        self.in_flight: dict[str, Any] | None = None  # the adjustment sent, not yet answered
        self.runs: list[dict[str, Any]] = []
        self.last_sync_at: datetime | None = None

    @property
    def sent_guid(self) -> str | None:
        """The ExternalGUID of an adjustment sent whose answer was never recorded."""
        return self.in_flight["external_guid"] if self.in_flight else None

    @event(AdjustmentSent)
    def send(
        self,
        external_guid: str,
        session_id: UUID,
        exchange_id: UUID,
        lines: int,
        at: datetime,
        on: str,
    ) -> None:
        """The adjustment (dated `on`) is in a message QBWC has taken."""
        self.in_flight = {"external_guid": external_guid, "session_id": str(session_id), "on": on}

    def finish(
        self,
        outcome: str,
        message: str,
        txn_id: str | None,
        adjusted: int,
        skipped: list[dict[str, str]],
        session_id: UUID | None,
        at: datetime,
    ) -> None:
        """The run is over: `succeeded` stamps Last Inventory Sync, `failed` does not."""
        self._finished(
            outcome=outcome,
            message=message,
            txn_id=txn_id,
            adjusted=adjusted,
            skipped=skipped[:SKIPPED_KEPT],
            skipped_count=len(skipped),
            session_id=session_id,
            at=at,
        )

    @event(Finished)
    def _finished(
        self,
        outcome: str,
        message: str,
        txn_id: str | None,
        adjusted: int,
        skipped: list[dict[str, str]],
        skipped_count: int,
        session_id: UUID | None,
        at: datetime,
    ) -> None:
        self.in_flight = None
        if outcome == "succeeded":
            self.last_sync_at = at
        run = {
            "at": at.isoformat(),
            "outcome": outcome,
            "message": message,
            "txn_id": txn_id,
            "adjusted": adjusted,
            "skipped": list(skipped),
            "skipped_count": skipped_count,
            "session_id": str(session_id) if session_id else None,
        }
        self.runs = [*self.runs, run][-RUNS_KEPT:]

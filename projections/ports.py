"""The read models as the engine's ports (engine/ports.py): each view is opened on first use,
once per engine, and closed with it."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from engine.settings import Settings


class _OnDemandView:
    """A read model's view, opened on first use (each holds a connection pool). With `current`,
    every read first waits for the view to reflect every event stored so far (a command that
    reads what it just wrote); without, it reads what the runner has applied (a QBWC call must
    not wait: what it misses, the next session finds)."""

    current = True

    def __init__(self, settings: Settings, name: str) -> None:
        self._settings, self._name = settings, name
        self._view: Any = None
        self._engine: Any = None
        self._lock = threading.Lock()

    def follow(self, engine: Any) -> None:
        """The engine whose events the view must have caught up with."""
        self._engine = engine

    def view(self) -> Any:
        """The open view (current, when the port is)."""
        from projections.runtime import current_view

        view = self._open()
        if self.current and self._engine is not None:
            current_view(self._engine, view, self._name)
        return view

    def _open(self) -> Any:
        from projections.runtime import open_view

        with self._lock:
            if self._view is None:
                self._view = open_view(self._settings, self._name)
            return self._view

    def close(self) -> None:
        """Close the view if it was opened."""
        with self._lock:
            if self._view is not None:
                self._view.close()
                self._view = None


class ListsDirectory(_OnDemandView):
    """The QuickBooks-lists read model as a `QuickBooksDirectory`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, "quickbookslists")

    def find(self, connector_id: UUID, list_name: str, name_or_list_id: str) -> Any:
        """A record by ListID, or by full name ignoring case."""
        return self.view().find(connector_id, list_name, name_or_list_id)

    def find_applied(self, connector_id: UUID, list_name: str, name_or_list_id: str) -> Any:
        """A record from what the runner has applied, without waiting for it."""
        return self._open().find(connector_id, list_name, name_or_list_id)

    def records(self, connector_id: UUID, list_name: str, *, active_only: bool = False) -> Any:
        """Every record of one list."""
        return self.view().records(connector_id, list_name, active_only=active_only)


class PsaRecordsCatalog(_OnDemandView):
    """The PSA read model as a `PsaCatalog`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, "psarecords")

    def records_of(self, kind: str) -> Any:
        """Every imported record of one kind."""
        return self.view().records_of(kind)


class TransfersQueue(_OnDemandView):
    """The transfers read model as a `TransferQueue`."""

    current = False

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, "transfers")

    def open_transfers(
        self, connector_id: UUID, kind: str, limit: int, after: str | None = None
    ) -> list[tuple[str, UUID]]:
        """Transfers a session may have to act on, in queue order."""
        return list(self.view().open_transfers(connector_id, kind, limit, after))

    def count_open(self, connector_id: UUID, kind: str) -> int:
        """How many."""
        return int(self.view().count_open(connector_id, kind))

    def unpaid(
        self, connector_id: UUID, since: str, limit: int, after: str | None = None
    ) -> list[tuple[str, UUID, str]]:
        """Invoices whose paid date is to be asked of QuickBooks."""
        return list(self.view().unpaid(connector_id, since, limit, after))

    def holding(self, connector_id: UUID, txn_ids: list[str]) -> list[UUID]:
        """The transfers that put these transactions in QuickBooks. This read waits for the
        read model to be current (ReadModelLagging when it is not in time): a deletion sync
        that missed a transfer would never see its deletion again, and it runs once a day."""
        from projections.runtime import current_view

        view = self._open()
        if self._engine is not None:
            current_view(self._engine, view, self._name)
        return list(view.holding(connector_id, txn_ids))

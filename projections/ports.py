"""The read models as the engine's ports (engine/ports.py): each view is opened on first use,
once per engine, and closed with it."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from engine.settings import Settings


class _OnDemandView:
    """A read model's view, opened on first use (each holds a connection pool)."""

    def __init__(self, settings: Settings, name: str) -> None:
        self._settings, self._name = settings, name
        self._view: Any = None
        self._lock = threading.Lock()

    def view(self) -> Any:
        """The open view."""
        with self._lock:
            if self._view is None:
                from projections.runtime import open_view

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

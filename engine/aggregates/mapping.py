"""A connector's mappings: which QuickBooks record each PSA code stands for."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class Mapping(Aggregate):
    """Every mapping of one web connector; each edit records who, when, old and new."""

    # -- events ------------------------------------------------------------------------

    class Created(Aggregate.Created):
        connector_id: UUID

    class Set(Aggregate.Event):
        category: str
        psa_id: str
        old: dict[str, Any] | None
        new: dict[str, Any]
        by: str
        at: datetime

    class Cleared(Aggregate.Event):
        category: str
        psa_id: str
        old: dict[str, Any]
        by: str
        at: datetime

    class AllCleared(Aggregate.Event):
        reason: str
        by: str
        at: datetime

    @staticmethod
    def create_id(connector_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"qbtransfer:/connectors/{connector_id}/mappings")

    @event(Created)
    def __init__(self, connector_id: UUID) -> None:
        self.connector_id = connector_id
        self.entries: dict[str, dict[str, dict[str, Any]]] = {}  # category -> PSA id -> target

    def get(self, category: str, psa_id: str) -> dict[str, Any] | None:
        return self.entries.get(category, {}).get(psa_id)

    def set(
        self, category: str, psa_id: str, target: dict[str, Any], by: str, at: datetime
    ) -> bool:
        """Map a PSA code to a QuickBooks record (or a special choice); False if unchanged."""
        old = self.get(category, psa_id)
        if old == target:
            return False
        self._set(category=category, psa_id=psa_id, old=old, new=target, by=by, at=at)
        return True

    @event(Set)
    def _set(
        self,
        category: str,
        psa_id: str,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        by: str,
        at: datetime,
    ) -> None:
        self.entries.setdefault(category, {})[psa_id] = new

    def clear(self, category: str, psa_id: str, by: str, at: datetime) -> bool:
        """Remove a mapping (the transfer then falls back to name matching or the default)."""
        old = self.get(category, psa_id)
        if old is None:
            return False
        self._cleared(category=category, psa_id=psa_id, old=old, by=by, at=at)
        return True

    @event(Cleared)
    def _cleared(
        self, category: str, psa_id: str, old: dict[str, Any], by: str, at: datetime
    ) -> None:
        del self.entries[category][psa_id]

    def clear_all(self, reason: str, by: str, at: datetime) -> None:
        """Forget every mapping (the company file changed)."""
        if any(self.entries.values()):
            self._all_cleared(reason=reason, by=by, at=at)

    @event(AllCleared)
    def _all_cleared(self, reason: str, by: str, at: datetime) -> None:
        self.entries = {}

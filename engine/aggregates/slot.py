"""The update slot of a web connector: QBWC runs one update per connector at a time.

Two Web Connectors (two users' machines) may poll the same connector; the one that finds the
slot taken is told `busy`. Occupying the slot is an optimistic-concurrency race on this small
aggregate, so two simultaneous authenticates cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class UpdateSlot(Aggregate):
    """Which session holds a connector, and how the last one went."""

    # -- events ------------------------------------------------------------------------

    class Created(Aggregate.Created):
        connector_id: UUID

    class Occupied(Aggregate.Event):
        session_id: UUID
        registration_id: str
        at: datetime

    class Released(Aggregate.Event):
        session_id: UUID
        result: str
        at: datetime

    @staticmethod
    def create_id(connector_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"qbtransfer:/connectors/{connector_id}/update-slot")

    @event(Created)
    def __init__(self, connector_id: UUID) -> None:
        self.connector_id = connector_id
        self.session_id: UUID | None = None
        self.registration_id: str | None = None
        self.last_session: dict[str, Any] | None = None

    @event(Occupied)
    def occupy(self, session_id: UUID, registration_id: str, at: datetime) -> None:
        """A session starts its update."""
        self.session_id, self.registration_id = session_id, registration_id
        self.last_session = {
            "id": str(session_id),
            "started": at.isoformat(),
            "ended": None,
            "result": "running",
        }

    def release(self, session_id: UUID, result: str, at: datetime) -> None:
        """The session's update is over, however it ended."""
        if self.session_id == session_id:
            self._released(session_id=session_id, result=result, at=at)

    @event(Released)
    def _released(self, session_id: UUID, result: str, at: datetime) -> None:
        self.session_id = self.registration_id = None
        if self.last_session is not None:
            self.last_session = {**self.last_session, "ended": at.isoformat(), "result": result}

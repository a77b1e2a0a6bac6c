"""What the scheduler asks of the engine (web/scheduler.py): deletion syncs falling due every 24
hours, and QBWC sessions that were abandoned without a closeConnection.

Each job reads its state from the event store and records what it did there, so running it
twice, or in two processes, or late after an outage, does the work once."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from engine.aggregates.session import QbwcSession
from engine.aggregates.slot import UpdateSlot
from engine.commanding import command
from engine.qbwc.support import SessionSupport

DELETION_SYNC_EVERY = timedelta(hours=24)


class Housekeeping(SessionSupport):
    """The scheduled jobs' commands."""

    def schedule_deletion_syncs(self) -> list[UUID]:
        """Make each connector's deletion sync due once 24 hours have passed since its last
        one; returns the connectors it did so for (the next QBWC run of each performs it)."""
        due = [UUID(cid) for cid in self._account().connectors]
        return [cid for cid in due if self._schedule_deletion_sync(cid)]

    @command
    def _schedule_deletion_sync(self, connector_id: UUID) -> bool:
        now = self.clock()
        connector = self._get(connector_id)
        if connector is None or connector.company_file is None:
            return False
        lists = self._lists(connector_id)
        if not lists.deletion_sync_falls_due(now, DELETION_SYNC_EVERY):
            return False
        lists.request_deletion_sync(now, requested_by="schedule")
        self.save(lists)
        return True

    def expire_idle_sessions(self) -> list[UUID]:
        """End every session QBWC left open and silent for longer than the idle timeout (it
        may never call closeConnection): the connector is released and the writes of a
        message left unanswered are in doubt. Returns the sessions it ended."""
        ended = [self._expire_if_idle(UUID(cid)) for cid in self._account().connectors]
        return [session_id for session_id in ended if session_id is not None]

    @command
    def _expire_if_idle(self, connector_id: UUID) -> UUID | None:
        now = self.clock()
        slot: UpdateSlot | None = self._get(UpdateSlot.create_id(connector_id))
        if slot is None or slot.session_id is None:
            return None
        holder: QbwcSession = self.repository.get(slot.session_id)
        if holder.is_open and not holder.is_idle_since(now):
            return None
        if holder.is_open:
            holder.expire(now)
            self.save(*self._ended_unanswered(holder, now, slot))
        else:
            # Ended some other way without letting go of the slot: only the slot is stale.
            slot.release(holder.id, holder.status, now)
            self.save(slot)
        return holder.id

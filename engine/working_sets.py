"""The aggregates a QBWC session's steps loaded, kept in memory from one call to the next.

A transfer step touches each transfer and its document in three calls running (taken, sent,
answered); loading them again each time was most of the engine's cost per invoice. Between two
calls the set is brought up to date with one look at the notification log: an aggregate anyone
else changed since (another process, a command, an admin) is dropped and loaded afresh, so a
step never decides on stale state. A set is handed out to one call at a time and taken back
only after that call saved everything it changed: a call that fails leaves nothing behind.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder

SESSIONS_KEPT = 16  # sessions running at once in one process, far more than QBWC opens
AGGREGATES_KEPT = 2_000  # per session: a batch's transfers and documents over three calls
# More notifications than this since a session's last call, and its set is dropped rather
# than checked: reloading a batch costs less than reading a busy log.
NOTIFICATIONS_CHECKED = 5_000


class WorkingSet(OrderedDict[UUID, "Aggregate | None"]):
    """Aggregates by id (None: there is none with that id), least recently used first, current
    up to the notification log's `position`."""

    def __init__(self, position: int | None) -> None:
        super().__init__()
        self.position = position
        self.used: set[UUID] = set()  # since it was taken: only these can have changed

    def __getitem__(self, aggregate_id: UUID) -> Aggregate | None:
        self.move_to_end(aggregate_id)
        self.used.add(aggregate_id)
        return super().__getitem__(aggregate_id)

    def __setitem__(self, aggregate_id: UUID, aggregate: Aggregate | None) -> None:
        super().__setitem__(aggregate_id, aggregate)
        self.used.add(aggregate_id)


class WorkingSets:
    """Each open session's working set, in this process."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self._recorder = recorder
        self._sets: OrderedDict[UUID, WorkingSet] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, session_id: UUID) -> WorkingSet:
        """The session's set, current as of now (empty when it has none in this process). The
        set is the caller's until it gives it back with `keep`."""
        with self._lock:
            kept = self._sets.pop(session_id, None)
        position = self._recorder.max_notification_id()
        if kept is None or kept.position is None or position is None:
            return WorkingSet(position)
        if position - kept.position > NOTIFICATIONS_CHECKED:
            return WorkingSet(position)
        changed = self._recorder.select_notifications(
            start=kept.position, limit=NOTIFICATIONS_CHECKED, inclusive_of_start=False
        )
        for notification in changed:
            # SQLite gives the id back as text, PostgreSQL as a UUID.
            originator_id = notification.originator_id
            if not isinstance(originator_id, UUID):
                originator_id = UUID(originator_id)
            aggregate = kept.get(originator_id)
            if aggregate is not None and notification.originator_version <= aggregate.version:
                continue  # an event the kept aggregate already holds (the session's own)
            kept.pop(originator_id, None)
        kept.position = max([position, *(n.id for n in changed)])
        return kept

    def keep(self, session_id: UUID, working_set: WorkingSet) -> None:
        """Take back a set whose changes are all saved, for the session's next call."""
        used = (working_set.get(i) for i in working_set.used)
        if any(a is not None and a.pending_events for a in used):
            return  # something was left unsaved: the next call starts afresh
        working_set.used = set()
        while len(working_set) > AGGREGATES_KEPT:
            working_set.popitem(last=False)
        with self._lock:
            self._sets[session_id] = working_set
            while len(self._sets) > SESSIONS_KEPT:
                self._sets.popitem(last=False)

    def forget(self, session_id: UUID) -> None:
        """The session ended: its set is of no further use."""
        with self._lock:
            self._sets.pop(session_id, None)

    def sizes(self) -> dict[UUID, int]:
        """How many aggregates each kept set holds (for tests and diagnostics)."""
        with self._lock:
            return {session_id: len(s) for session_id, s in self._sets.items()}

"""Catch-up subscriptions on SQLite, by polling.

eventsourcing 9.5.6's SQLite recorders raise NotImplementedError from subscribe(), so projection
runners would not work on the embedded default. This recorder reuses the library's pull thread
and queue and "notifies" it on a timer; SQLite's single writer keeps rowids in commit order, so
polling never skips an event. It relies on ListenNotifySubscription's private
`_has_been_notified` and `_has_been_stopped`: re-test it on every eventsourcing upgrade.
"""

from __future__ import annotations

import time
from threading import Thread
from typing import Any

from eventsourcing.persistence import ListenNotifySubscription
from eventsourcing.sqlite import SQLiteApplicationRecorder

POLL_INTERVAL = 0.1


class SQLitePollingSubscription(ListenNotifySubscription):
    """A subscription whose "notifications" are a timer."""

    def __init__(
        self,
        recorder: Any,
        gt: int | None = None,
        topics: Any = (),
        interval: float = POLL_INTERVAL,
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._interval = interval
        self._poll_thread = Thread(target=self._poll, daemon=True)
        self._poll_thread.start()

    def _poll(self) -> None:
        while not self._has_been_stopped:
            self._has_been_notified.set()
            time.sleep(self._interval)

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._poll_thread.join()


class PollingSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The SQLite application recorder, with subscribe() by polling."""

    def subscribe(self, gt: int | None = None, topics: Any = ()) -> SQLitePollingSubscription:
        return SQLitePollingSubscription(self, gt=gt, topics=topics)

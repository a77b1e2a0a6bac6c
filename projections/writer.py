"""One writer per read model, and the runner that is it.

A read model is written in one place only: `apply_pending`, run under its writer lock
(projections/locks.py), so two processes or threads never write one read model at once. The
`ReadModelRunner` of `serve` or `worker` takes the lock for each batch and lets go between
batches, so a rebuild can take it while the server runs.

A runner also holds a presence lock for as long as it lives, which is how a reader knows one is
there: a reader then waits for the runner to reach the log's head (with a timeout and a clear
message) and writes nothing. Only when no runner lives anywhere (the command line on the
embedded default) does the reader's process run the runner's own step once, under the writer
lock, before it reads.

A runner that fails on an event records the event's id, its topic and the error (in the log and
in the read model's `runner_status`, for `qbtransfer projections status`), waits with backoff
and tries again; it never dies and never goes silent.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking

from engine.application import TransferEngine
from engine.settings import Settings
from projections.locks import ReadModelLagging, holding, lock_for

log = logging.getLogger(__name__)
BATCH = 500
POLL_SECONDS = 0.1
WAIT_SECONDS = 10.0  # how long a reader waits for the runner
MAX_BACKOFF_SECONDS = 60.0


class ReadModelFailure(Exception):
    """A read model could not apply one event."""

    def __init__(self, name: str, notification_id: int, topic: str, error: BaseException):
        super().__init__(f"{name}: event {notification_id} ({topic}) failed: {error!r}")
        self.name, self.notification_id, self.topic, self.error = (
            name,
            notification_id,
            topic,
            error,
        )


# -- the one write path -----------------------------------------------------------------------


def apply_pending(
    engine: TransferEngine,
    view: Any,
    model: Any,
    stop: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply the events `view` has not seen (up to `stop`), BATCH at a time, each batch in
    one transaction with its tracking position written once; returns how many. The caller
    holds the writer lock. A failing event raises ReadModelFailure naming it, once the events
    before it are applied; an event already recorded (only a writer that ignores
    the lock could cause it) ends the run quietly."""
    projection = model.projection(view=view)
    key = view.position_name(engine.name)
    after = view.max_tracking_id(key) or 0
    applied = 0
    while True:
        batch = engine.recorder.select_notifications(
            start=after,
            limit=BATCH,
            stop=stop,
            topics=model.projection.topics,
            inclusive_of_start=False,
        )
        if not batch:
            return applied
        try:
            _apply_batch(engine, view, projection, key, batch)
        except IntegrityError:
            log.warning("read model %s: events up to %s were already applied", model.name, after)
            return applied
        except Exception as exc:
            # Which event failed? (a pipelined batch may report an error late): apply them one
            # per transaction, keeping those before the failing one.
            log.warning(
                "read model %s: a batch after %s failed (%r); one by one", model.name, after, exc
            )
            _apply_singly(engine, view, model, projection, key, batch)
        applied += len(batch)
        after = batch[-1].id
        if progress is not None:
            progress(after)  # how far into the log (a position, not a count)


def _apply_batch(
    engine: TransferEngine,
    view: Any,
    projection: Any,
    key: str,
    batch: Sequence[Any],
    pipelined: bool = True,
) -> None:
    """Apply `batch` in one transaction, its tracking position recorded once."""
    mapper, process = engine.mapper, projection.process_event
    with view.batch(pipelined):
        for notification in batch:
            process(mapper.to_domain_event(notification), Tracking(key, notification.id))


def _apply_singly(
    engine: TransferEngine, view: Any, model: Any, projection: Any, key: str, batch: Sequence[Any]
) -> None:
    """Apply `batch` one event per transaction, each statement waiting for its answer, up to
    the one that fails: ReadModelFailure names it (when none fails, the batch's failure was
    the database's, or the pipeline's, and passed)."""
    for notification in batch:
        try:
            _apply_batch(engine, view, projection, key, [notification], pipelined=False)
        except IntegrityError:
            continue  # recorded meanwhile (see apply_pending)
        except Exception as exc:
            raise ReadModelFailure(model.name, notification.id, notification.topic, exc) from exc


def pending(engine: TransferEngine, view: Any, model: Any, stop: int | None = None) -> int | None:
    """The id of the first event `view` still has to apply (up to `stop`), or None."""
    after = view.max_tracking_id(view.position_name(engine.name)) or 0
    batch = engine.recorder.select_notifications(
        start=after, limit=1, stop=stop, topics=model.projection.topics, inclusive_of_start=False
    )
    return batch[0].id if batch else None


def runner_alive(engine: TransferEngine, name: str) -> bool:
    """Whether a runner of `name` lives in some process (it holds the presence lock)."""
    presence = lock_for(engine, name, "runner")
    try:
        if presence.acquire(timeout=0):
            presence.release()
            return False
        return True
    finally:
        presence.close()


def ensure_current(
    engine: TransferEngine, view: Any, model: Any, timeout: float = WAIT_SECONDS
) -> None:
    """Return once `view` reflects every event stored so far: by waiting for the runner, or,
    when none lives, by running the runner's step once in this process."""
    head = engine.recorder.max_notification_id() or 0
    if pending(engine, view, model, head) is None:
        return
    if not runner_alive(engine, model.name):
        with holding(lock_for(engine, model.name, "writer"), timeout, model.name):
            apply_pending(engine, view, model, head)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.02)
        if pending(engine, view, model, head) is None:
            return
    behind = pending(engine, view, model, head)
    status = view.runner_status(model.name) or {}
    why = (
        f"; it failed on event {status['event_id']} ({status['topic']}): {status['error']}"
        if status.get("state") == "failed"
        else ""
    )
    raise ReadModelLagging(
        f"the {model.name} read model has not reached event {head} in {timeout:g} s "
        f"(next to apply: {behind}){why}. See qbtransfer projections status."
    )


# -- the runner ----------------------------------------------------------------------------------


@dataclass
class RunnerState:
    """What a runner tells `projections status`."""

    state: str = "starting"  # starting, standby, running, failed
    event_id: int | None = None
    topic: str | None = None
    error: str | None = None
    restarts: int = 0


class ReadModelRunner(threading.Thread):
    """Keeps one read model current, supervised: a failing event is reported and retried with
    backoff, and the thread lives on. A second runner of the same read model (another worker)
    waits on the presence lock and takes over when the first one's process ends."""

    def __init__(self, settings: Settings, engine: TransferEngine, model: Any) -> None:
        super().__init__(name=f"read-model-{model.name}", daemon=True)
        self.settings, self.engine, self.model = settings, engine, model
        self.state = RunnerState()
        self._stopping = threading.Event()
        self._presence = lock_for(engine, model.name, "runner")
        self._writer = lock_for(engine, model.name, "writer")

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.join(timeout)

    def run(self) -> None:
        self.state.state = "standby"
        while not self._take_presence():
            if self._stopping.is_set():
                self._presence.close()
                return
        self._view: Any = None
        backoff = 1.0
        try:
            while not self._stopping.is_set():
                try:
                    self._step()
                    backoff = 1.0
                    self._stopping.wait(POLL_SECONDS)
                except Exception as exc:
                    self._fail(exc, backoff)
                    self._stopping.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            if self._view is not None:
                self._view.close()
            self._presence.close()
            self._writer.close()

    def _take_presence(self) -> bool:
        try:
            return self._presence.acquire(timeout=1.0)
        except Exception:  # the database is not there yet: wait for it, as a standby
            log.warning("read model %s runner waits for the database", self.model.name)
            self._stopping.wait(1.0)
            return False

    def _step(self) -> None:
        """Apply what is pending, holding the writer lock for this batch only."""
        from projections.runtime import open_view

        self._view = self._view or open_view(self.settings, self.model.name)
        if not self._writer.acquire(timeout=1.0):
            return  # a rebuild (or a reader with no runner to wait for) is writing
        try:
            apply_pending(self.engine, self._view, self.model)
        finally:
            self._writer.release()
        if self.state.state != "running":
            self._report(RunnerState("running", restarts=self.state.restarts))

    def _fail(self, exc: Exception, backoff: float) -> None:
        restarts = self.state.restarts + 1
        if isinstance(exc, ReadModelFailure):
            log.error("read model stopped: %s; retrying in %.0f s", exc, backoff)
            self._report(
                RunnerState(
                    "failed", exc.notification_id, exc.topic, repr(exc.error)[:500], restarts
                )
            )
            return
        # The database went away, say: start again with a new view after the pause.
        log.exception("read model %s runner error; retrying in %.0f s", self.model.name, backoff)
        self.state = RunnerState("failed", error=repr(exc)[:500], restarts=restarts)
        if self._view is not None:
            with contextlib.suppress(Exception):
                self._view.close()
        self._view = None

    def _report(self, state: RunnerState) -> None:
        self.state = state
        with contextlib.suppress(Exception):  # reporting must not stop the runner
            self._view.record_runner_status(
                self.model.name,
                state.state,
                state.event_id,
                state.topic,
                state.error,
                state.restarts,
                datetime.now(UTC).isoformat(),
            )

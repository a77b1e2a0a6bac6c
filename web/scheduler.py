"""The scheduled jobs, and the one process that runs them at a time.

`qbtransfer serve` runs the scheduler beside the web app; in production `qbtransfer worker`
does, never a web worker. Two workers may run: the scheduler lock (a file lock beside the
SQLite store, a PostgreSQL advisory lock) lets one run the jobs while the other stands by, and
the standby takes over when the first one's process dies (the lock goes with it).

Every job keeps its state in the event store and is idempotent: running it twice, or late, does
its work once. Each runs once as soon as the scheduler starts, so what fell due while nothing
ran is done at start-up, once, then at its interval."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from engine.application import TransferEngine
from engine.settings import Settings
from projections.locks import lock_for
from projections.runtime import current_view, open_view
from web.mail import Delivery, delivery_for
from web.notices import sender

log = logging.getLogger("qbtransfer.scheduler")
# APScheduler says "Running job" and "executed successfully" at INFO for every run: two lines
# every 2 seconds. Its warnings and errors still show; what a job did, this module logs.
logging.getLogger("apscheduler").setLevel(logging.WARNING)
LOCK_NAME = "scheduler"


@dataclass
class JobContext:
    """What the jobs use: the engine (its clock is the jobs' clock), the settings, the
    notices read model and the mail delivery."""

    engine: TransferEngine
    settings: Settings
    delivery: Delivery
    notices: Any = None

    def notice_board(self) -> Any:
        """The notices read model, once it reflects every event stored so far."""
        if self.notices is None:
            self.notices = open_view(self.settings, "notices")
        return current_view(self.engine, self.notices, "notices")

    def close(self) -> None:
        if self.notices is not None:
            self.notices.close()
            self.notices = None


@dataclass(frozen=True)
class ScheduledJob:
    """A job the scheduler runs every `seconds`."""

    name: str
    seconds: int
    run: Callable[[JobContext], Any]


def deletion_syncs(jobs: JobContext) -> Any:
    """Each connector's deletion sync falls due 24 hours after its last one."""
    return jobs.engine.schedule_deletion_syncs()


def session_expiry(jobs: JobContext) -> Any:
    """Sessions QBWC abandoned without closeConnection end, and free their connector."""
    return jobs.engine.expire_idle_sessions()


def notifications(jobs: JobContext) -> Any:
    """Decide the notices of what just ended, then send every notice still owed."""
    decided = jobs.engine.decide_notices(jobs.notice_board())
    board = jobs.notice_board() if decided else jobs.notices
    return jobs.engine.deliver_notices(board, sender(jobs.delivery))


# The digest of a session goes out within 10 seconds of its end: the notices read model
# follows the log within a fraction of a second, and this job looks every 2 seconds.
JOBS = (
    ScheduledJob("notifications", 2, notifications),
    ScheduledJob("session-expiry", 60, session_expiry),
    ScheduledJob("deletion-syncs", 600, deletion_syncs),
)


class Scheduler(threading.Thread):
    """Holds the scheduler lock for as long as it lives and runs the jobs while it does;
    stands by, trying for the lock every second, while another process holds it."""

    def __init__(
        self,
        settings: Settings,
        engine: TransferEngine,
        jobs: tuple[ScheduledJob, ...] = JOBS,
        delivery: Delivery | None = None,
    ) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.jobs = jobs
        self.context = JobContext(
            engine,
            settings,
            delivery or delivery_for(settings.smtp_url, settings.outbox, settings.mail_from),
        )
        self.state = "starting"  # then active, or standby while another process runs the jobs
        self._lock = lock_for(engine, LOCK_NAME, "runner")
        self._stopping = threading.Event()
        self._scheduler: BackgroundScheduler | None = None
        self.active = threading.Event()

    def describe(self) -> str:
        jobs = ", ".join(f"{job.name} every {job.seconds} s" for job in self.jobs)
        return f"scheduler {self.state} ({jobs})"

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                if self._take_lock():
                    break
                self.state = "standby"
            else:
                return
            self._scheduler = BackgroundScheduler(timezone="UTC")
            for job in self.jobs:
                self._scheduler.add_job(
                    self._run_job,
                    "interval",
                    seconds=job.seconds,
                    args=[job],
                    id=job.name,
                    name=job.name,
                    max_instances=1,
                    coalesce=True,
                    next_run_time=datetime.now(UTC),  # once at start-up: what fell due meanwhile
                )
            self._scheduler.start()
            self.state = "active"
            self.active.set()
            log.info("scheduler active: %s", ", ".join(job.name for job in self.jobs))
            self._stopping.wait()
        finally:
            if self._scheduler is not None and self._scheduler.running:
                self._scheduler.shutdown(wait=True)
            self.context.close()
            self._lock.close()
            self.state = "stopped"

    def _take_lock(self) -> bool:
        try:
            return self._lock.acquire(timeout=1.0)
        except Exception:  # the database is not there yet: stand by and try again
            log.warning("the scheduler waits for the database")
            self._stopping.wait(1.0)
            return False

    def _run_job(self, job: ScheduledJob) -> None:
        try:
            done = job.run(self.context)
        except Exception:
            log.exception("scheduled job %s failed; it runs again in %s s", job.name, job.seconds)
            return
        if done:
            log.info("scheduled job %s: %s", job.name, _summary(done))

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)
        with contextlib.suppress(Exception):
            self.context.close()


def _summary(done: Any) -> str:
    return f"{len(done)} done" if isinstance(done, list) else str(done)

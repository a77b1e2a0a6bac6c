"""Background work that must run in exactly one process: projection runners and the
APScheduler jobs. `qbtransfer worker` runs it in production; later issues register the
QuickBooks-lists projection, deletion sync and e-mail digests here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler

from engine.settings import Settings


@dataclass
class ScheduledJob:
    """A job the scheduler runs every `minutes`."""

    name: str
    minutes: int
    run: Callable[[Settings], None]


# Filled by the modules that own each job.
JOBS: list[ScheduledJob] = []


@dataclass
class Background:
    """The running scheduler (and, later, projection runners)."""

    scheduler: BackgroundScheduler
    jobs: list[ScheduledJob] = field(default_factory=list)

    def describe(self) -> str:
        return ", ".join(f"{j.name} every {j.minutes} min" for j in self.jobs) or "no jobs yet"

    def check(self) -> None:
        """Raise if something that should be running has stopped."""
        if not self.scheduler.running:
            raise RuntimeError("the scheduler stopped")

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def start_background(settings: Settings) -> Background:
    """Start the scheduler with every registered job."""
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            job.run,
            "interval",
            minutes=job.minutes,
            args=[settings],
            id=job.name,
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    return Background(scheduler=scheduler, jobs=list(JOBS))

"""Background work that must run in exactly one process: the read models' projection runners
and the APScheduler jobs. `qbtransfer worker` runs it in production; `qbtransfer serve` runs it
beside the web app on the embedded default. Later issues register deletion sync, session
expiry and e-mail digests here."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from engine.settings import Settings
from projections.runtime import running_projections
from web.bootstrap import bootstrap


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
    """The running projection runners and scheduler."""

    scheduler: BackgroundScheduler
    runners: list[Any]
    stack: contextlib.ExitStack
    jobs: list[ScheduledJob] = field(default_factory=list)

    def describe(self) -> str:
        jobs = ", ".join(f"{j.name} every {j.minutes} min" for j in self.jobs) or "no jobs yet"
        models = ", ".join(r.model.name for r in self.runners)
        return f"read models: {models}; scheduled jobs: {jobs}"

    def check(self) -> None:
        """Raise if something that should be running has stopped. A runner that fails on an
        event does not stop: it reports and retries (projections/writer.py)."""
        if not self.scheduler.running:
            raise RuntimeError("the scheduler stopped")
        for runner in self.runners:
            if not runner.is_alive():
                raise RuntimeError(f"the {runner.model.name} read model's runner stopped")

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.stack.close()


def start_background(settings: Settings) -> Background:
    """Start every read model's runner and the scheduler with every registered job."""
    stack = contextlib.ExitStack()
    engine = stack.enter_context(contextlib.closing(bootstrap(settings)))
    runners = stack.enter_context(running_projections(settings, engine))
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
    return Background(scheduler=scheduler, runners=runners, stack=stack, jobs=list(JOBS))

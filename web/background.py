"""Background work that must run in one process at a time: the read models' projection runners
and the scheduled jobs (web/scheduler.py). `qbtransfer worker` runs it in production;
`qbtransfer serve` runs it beside the web app on the embedded default."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from engine.settings import Settings
from projections.runtime import running_projections
from web.bootstrap import bootstrap
from web.mail import Delivery
from web.scheduler import Scheduler


@dataclass
class Background:
    """The running projection runners and scheduler."""

    scheduler: Scheduler
    runners: list[Any]
    stack: contextlib.ExitStack

    def describe(self) -> str:
        models = ", ".join(r.model.name for r in self.runners)
        return f"read models: {models}; {self.scheduler.describe()}"

    def check(self) -> None:
        """Raise if something that should be running has stopped. A runner that fails on an
        event does not stop: it reports and retries (projections/writer.py)."""
        if not self.scheduler.is_alive():
            raise RuntimeError("the scheduler stopped")
        for runner in self.runners:
            if not runner.is_alive():
                raise RuntimeError(f"the {runner.model.name} read model's runner stopped")

    def stop(self) -> None:
        self.scheduler.stop()
        self.stack.close()


def start_background(settings: Settings, delivery: Delivery | None = None) -> Background:
    """Start every read model's runner and the scheduler (active once it holds the lock)."""
    stack = contextlib.ExitStack()
    engine = stack.enter_context(contextlib.closing(bootstrap(settings)))
    runners = stack.enter_context(running_projections(settings, engine))
    scheduler = Scheduler(settings, engine, delivery=delivery)
    scheduler.start()
    return Background(scheduler=scheduler, runners=runners, stack=stack)

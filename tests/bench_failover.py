"""Failover: how long after the active `qbtransfer worker` is killed (SIGKILL) the standby has
taken over the scheduler and caught every read model up with the events stored meanwhile.

    python -m tests.bench failover [--database-url URL] [--trials 3]

Each trial starts two workers on a fresh store, waits until the first runs everything and the
second stands by, stores a page of QuickBooks list records, kills the first, stores another,
and times the second: to "scheduler active" on its log, and to every read model at the log's
head. The limit is the issue's minute. tests/test_failover.py asserts the same, bounded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from engine.settings import Settings
from projections.runtime import READ_MODELS
from projections.writer import runner_alive
from tests.crash import fresh_store
from tests.helpers import read_models_at_head
from tests.test_rebuild import Pages
from tests.test_scheduler import _wait_for_line, _worker
from web.bootstrap import bootstrap

LIMIT_S = 60.0


def trial(database_url: str | None) -> dict[str, float]:
    """One kill, timed."""
    with fresh_store(database_url) as (url, workdir):
        url = url or f"sqlite:///{workdir / 'events.sqlite3'}"
        settings = Settings(database_url=url, base_dir=workdir)
        engine = bootstrap(settings)
        first = second = None
        try:
            pages = Pages(engine)
            first = _worker(settings, Path(tempfile.mkdtemp()))
            assert _wait_for_line(first, "scheduler active", 30), "the first worker did not start"
            while not all(runner_alive(engine, m.name) for m in READ_MODELS.values()):
                time.sleep(0.05)
            second = _worker(settings, Path(tempfile.mkdtemp()))
            assert _wait_for_line(second, "qbtransfer worker running", 30)
            pages.add(5)
            first.kill()
            killed = time.monotonic()
            first.wait(10)
            pages.add(5)
            assert _wait_for_line(second, "scheduler active", LIMIT_S), "no scheduler took over"
            scheduler = time.monotonic() - killed
            while not read_models_at_head(settings, engine):
                assert time.monotonic() - killed < LIMIT_S, "no worker took the read models over"
                time.sleep(0.05)
            return {"scheduler_s": round(scheduler, 2),
                    "read_models_s": round(time.monotonic() - killed, 2)}  # fmt: skip
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait(10)
            engine.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench failover")
    parser.add_argument("--database-url", help="PostgreSQL (a schema per trial); default SQLite")
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args(argv)
    trials = [trial(args.database_url) for _ in range(args.trials)]
    figures = {
        "database": "postgresql" if args.database_url else "sqlite",
        "trials": trials,
        "worst_read_models_s": max(t["read_models_s"] for t in trials),
        "median_read_models_s": statistics.median(t["read_models_s"] for t in trials),
        "worst_scheduler_s": max(t["scheduler_s"] for t in trials),
        "limit_s": LIMIT_S,
    }
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()

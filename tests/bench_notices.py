"""Benchmark: how long after a QBWC session ends with a failed transfer its digest is in the
outbox, with the background (read-model runners and scheduler) running as `serve` runs it, on
SQLite (default) or PostgreSQL (`--database-url`, each trial in a fresh `?schema=`).

    python -m tests.bench_notices [--database-url URL] [--trials 5]

Target (issue 14): within 10 seconds of the session's end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from engine.settings import Settings
from tests.crash import fresh_store
from tests.helpers import run_session
from tests.test_transfers_invoices import DEMO, caught_up, synced_demo
from web.background import start_background
from web.mail import OutboxDelivery


def trial(url: str, workdir: Path) -> float:
    """Seconds from closeConnection to the digest's .eml file."""
    settings = Settings(database_url=url, base_dir=workdir)
    engine, reg, company = synced_demo(settings)
    engine.import_psa(DEMO, by="bench")
    engine.change_connector(
        reg.connector_id, transfers={"invoices": True}, emails="ap@acme.example"
    )
    outbox = workdir / "outbox"
    background = start_background(settings, OutboxDelivery(outbox, "q@acme.example"))
    try:
        caught_up(engine, settings)
        company.inject_status("InvoiceAddRq", 3210)
        run_session(engine, reg, company)
        ended = time.monotonic()
        while not (outbox.exists() and any(outbox.iterdir())):
            if time.monotonic() - ended > 60:
                raise RuntimeError("no digest within 60 s")
            time.sleep(0.01)
        return time.monotonic() - ended
    finally:
        background.stop()
        engine.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_notices")
    parser.add_argument("--database-url", help="default: a fresh SQLite file per trial")
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args(argv)
    seconds = []
    for _ in range(args.trials):
        with fresh_store(args.database_url) as (url, workdir):
            seconds.append(trial(url or f"sqlite:///{workdir / 'events.sqlite3'}", workdir))
    result = {
        "trials": len(seconds),
        "median_s": round(statistics.median(seconds), 2),
        "max_s": round(max(seconds), 2),
        "target_s": 10,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

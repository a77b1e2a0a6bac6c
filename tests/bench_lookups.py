"""Benchmark: finding a QuickBooks record by name or ListID in the lists read model.

Fills the read model with QuickBooks Pro's limits (14,500 customers, 10,000 accounts) for one
connector, then times `find()` by ListID, by full name in another letter case, and for a name
that is not there, on SQLite (default) or PostgreSQL (`--database-url`).

    python -m tests.bench_lookups [--database-url URL] [--lookups 2000] [--analyze]

Target (issue 10): under 1 ms per lookup.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.settings import Settings
from projections.runtime import open_view


def _records(kind: str, count: int) -> list[dict]:
    return [
        {
            "list_id": f"{0x80000000 + i:08X}-{kind}",
            "full_name": f"{kind.title()} {i:05d}",
            "name": f"{kind.title()} {i:05d}",
            "type": kind.title(),
            "is_active": True,
            "edit_sequence": "1",
            "time_modified": "2026-01-05T09:00:00-08:00",
            "details": {"AccountType": "Income"} if kind == "account" else {},
        }
        for i in range(count)
    ]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_lookups")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--analyze", action="store_true", help="refresh statistics first")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="qbt-lookups-"))
    url = args.database_url or f"sqlite:///{workdir / 'events.sqlite3'}"
    settings = Settings(database_url=url, base_dir=workdir)
    view = open_view(settings, "quickbookslists")
    connector_id = uuid4()
    source = QuickBooksLists.create_id(connector_id)
    customers, accounts = _records("customer", 14_500), _records("account", 10_000)
    from eventsourcing.persistence import Tracking

    view.upsert(source, "customers", customers, Tracking("bench", 1))
    view.upsert(source, "accounts", accounts, Tracking("bench", 2))
    if args.analyze:
        view.analyze()  # what autovacuum does soon after a bulk load on PostgreSQL
    rng = random.Random(1)
    figures = {"database": settings.describe_database(), "lookups": args.lookups}
    for label, make in (
        ("by_list_id", lambda: ("customers", rng.choice(customers)["list_id"])),
        ("by_name_other_case", lambda: ("accounts", rng.choice(accounts)["full_name"].upper())),
        ("missing", lambda: ("customers", f"Nobody {rng.random()}")),
    ):
        queries = [make() for _ in range(args.lookups)]
        started = time.perf_counter()
        for list_name, ref in queries:
            view.find(connector_id, list_name, ref)
        figures[f"{label}_ms"] = round((time.perf_counter() - started) * 1000 / len(queries), 3)
    view.clear("bench")
    view.close()
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()

"""Benchmark: `connectors check` (the readiness check) on 1,000 queued invoices, against a
company with QuickBooks Pro's limits (14,500 customers, 10,000 accounts) in the lists read
model, on SQLite (default) or PostgreSQL (`--database-url`).

    python -m tests.bench_readiness [--database-url URL] [--invoices 1000]

Target (issue 10): under 2 s for the check.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path

from engine.application import TransferEngine
from engine.settings import Settings
from tests.helpers import demo_company, register_connector, run_session
from tests.test_import import DEMO
from web.views import readiness


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_readiness")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--invoices", type=int, default=1000)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="qbt-readiness-"))
    url = args.database_url or f"sqlite:///{workdir / 'events.sqlite3'}"
    settings = Settings(database_url=url, base_dir=workdir)
    engine = TransferEngine(env=settings.eventstore_env())
    try:
        reg = register_connector(engine)
        company = demo_company()
        company.seed_bulk(customers=14_500, accounts=10_000)
        company.write_file_id(reg.owner_id, reg.file_id)
        run_session(engine, reg, company)
        data = json.loads(DEMO.read_text())
        template = data["invoices"][0]
        data["invoices"] = []
        for i in range(args.invoices):
            invoice = copy.deepcopy(template)
            invoice["id"], invoice["number"] = f"INV-B{i:05d}", f"B{i:05d}"
            invoice["ready_to_transfer"] = True
            data["invoices"].append(invoice)
        for kind in ("timesheets", "expense_reports", "purchase_orders"):
            data[kind] = []
        engine.import_psa(data, by="bench")
        engine.change_connector(reg.connector_id, transfers={"invoices": True})
        readiness(settings, engine, reg.connector_id)  # catch the read models up first
        started = time.perf_counter()
        report = readiness(settings, engine, reg.connector_id)
        seconds = time.perf_counter() - started
        figures = {
            "database": settings.describe_database(),
            "invoices_ready": report["types"]["invoices"]["documents_ready"],
            "check_s": round(seconds, 3),
        }
    finally:
        engine.close()
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()

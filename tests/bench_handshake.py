"""Benchmark: server CPU time and peak memory of the big first handshake.

Runs `qbtransfer serve` in its own process (web app, read models and scheduler, as on the
embedded default), lets the simulated Web Connector pull a simulated company with 14,500
customers and 10,000 accounts (QuickBooks Pro's list limits), waits until the QuickBooks-lists
read model holds every record, and reports the server process's CPU seconds and peak RSS for
the handshake alone (measured from /proc, after start-up).

    python -m tests.bench_handshake [--customers 14500] [--accounts 10000] [--database-url URL]

Targets on the 2-core machine: at most 3 s of server CPU and 150 MB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from uuid import UUID

from engine.application import TransferEngine
from engine.settings import Settings
from projections.runtime import open_view
from tests.helpers import API_PASSWORD, free_port, register_connector, serving
from tests.qbsim import Company
from tests.qbsim.webconnector import WebConnectorSim

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_handshake")
    parser.add_argument("--customers", type=int, default=14_500)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="qbt-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'events.sqlite3'}"
    port = free_port()
    public = f"http://localhost:{port}"
    settings = Settings(database_url=database_url, public_url=public, port=port, base_dir=workdir)
    engine = TransferEngine(env=settings.eventstore_env())
    reg = register_connector(engine, public_url=public)

    company = Company("Benchmark Books")
    company.seed_bulk(customers=args.customers, accounts=args.accounts)
    with serving(workdir, port, {"DATABASE_URL": database_url, "PUBLIC_URL": public}) as server:
        time.sleep(1.0)  # let start-up settle before the baseline
        cpu_before = cpu_seconds(server.pid)
        rss_before = peak_rss_mb(server.pid)
        started = time.perf_counter()
        result = WebConnectorSim(
            f"http://127.0.0.1:{port}{reg.path}",
            "qbwc-api",
            API_PASSWORD,
            company,
            owner_id=reg.owner_id,
            file_id=reg.file_id,
        ).run()
        if result.outcome != "completed":
            raise SystemExit(f"the handshake did not complete: {result.message}")
        session_wall = time.perf_counter() - started
        view = open_view(settings, "quickbookslists")
        expected = args.customers + args.accounts
        while sum(view.counts(UUID(reg.connector_id)).values()) < expected:
            if time.perf_counter() - started > 300:
                raise SystemExit("the read model did not catch up within 300 s")
            time.sleep(0.1)
        view.close()
        figures = {
            "customers": args.customers,
            "accounts": args.accounts,
            "messages": result.messages,
            "database": settings.describe_database(),
            "session_wall_s": round(session_wall, 2),
            "read_model_ready_s": round(time.perf_counter() - started, 2),
            "server_cpu_s": round(cpu_seconds(server.pid) - cpu_before, 2),
            "server_peak_rss_mb": round(peak_rss_mb(server.pid), 1),
            "server_rss_at_start_mb": round(rss_before, 1),
        }
    engine.close()
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()

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
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from engine.application import TransferEngine
from projections.runtime import open_view
from tests.helpers import (
    API_PASSWORD,
    free_port,
    local_settings,
    register_connector,
    serving,
    wait_for,
)
from tests.qbsim import Company
from tests.qbsim.webconnector import RunResult, WebConnectorSim

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
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also measure the same pull on a minimal qbwc-kit integration "
        "(pip install -e '.[bench]'), in the same run, for a ratio",
    )
    args = parser.parse_args(argv)
    figures = {
        "customers": args.customers,
        "accounts": args.accounts,
        "qbtransfer": _qbtransfer(args),
    }
    if args.peer:
        peer = figures["qbwc_kit"] = _qbwc_kit(args)
        ours = figures["qbtransfer"]
        figures["ratio_cpu"] = round(ours["server_cpu_s"] / peer["server_cpu_s"], 2)
        figures["ratio_peak_rss"] = round(
            ours["server_peak_rss_mb"] / peer["server_peak_rss_mb"], 2
        )
    print(json.dumps(figures, indent=1))
    return figures


def _company(args: argparse.Namespace) -> Company:
    company = Company("Benchmark Books")  # the same seed, so the same records, every time
    company.seed_bulk(customers=args.customers, accounts=args.accounts)
    return company


def _measure(
    pid: int,
    update: Callable[[], RunResult],
    ready: Callable[[], bool],
) -> dict[str, Any]:
    """Server CPU and peak memory over one update (and until its results are readable)."""
    time.sleep(1.0)  # let start-up settle before the baseline
    cpu_before, rss_before = cpu_seconds(pid), peak_rss_mb(pid)
    started = time.perf_counter()
    result = update()
    if result.outcome != "completed":
        raise SystemExit(f"the handshake did not complete: {result.message}")
    session_wall = time.perf_counter() - started
    while not ready():
        if time.perf_counter() - started > 300:
            raise SystemExit("the results were not readable within 300 s")
        time.sleep(0.1)
    return {
        "messages": result.messages,
        "largest_answer_bytes": max(answer for _, answer in result.sizes),
        "session_wall_s": round(session_wall, 2),
        "ready_s": round(time.perf_counter() - started, 2),
        "server_cpu_s": round(cpu_seconds(pid) - cpu_before, 2),
        "server_peak_rss_mb": round(peak_rss_mb(pid), 1),
        "server_rss_at_start_mb": round(rss_before, 1),
    }


def _qbtransfer(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="qbt-bench-"))
    settings = local_settings(workdir, args.database_url)
    database_url, port = settings.database_url or "", settings.port
    public = settings.public_url or ""
    engine = TransferEngine(env=settings.eventstore_env())
    reg = register_connector(engine, public_url=public)
    company = _company(args)
    expected = args.customers + args.accounts
    try:
        with serving(workdir, port, {"DATABASE_URL": database_url, "PUBLIC_URL": public}) as server:
            view = open_view(settings, "quickbookslists")
            try:
                figures = _measure(
                    server.pid,
                    WebConnectorSim(
                        f"http://127.0.0.1:{port}{reg.path}",
                        "qbwc-api",
                        API_PASSWORD,
                        company,
                        owner_id=reg.owner_id,
                        file_id=reg.file_id,
                    ).run,
                    lambda: sum(view.counts(UUID(reg.connector_id)).values()) >= expected,
                )
            finally:
                view.close()
    finally:
        engine.close()
    return {"database": settings.describe_database(), **figures}


def _qbwc_kit(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    repo = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bench_peer_qbwc_kit",
            "--port",
            str(port),
            "--user",
            "qbwc-api",
            "--password-stdin",
        ],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        server.stdin.write(API_PASSWORD + "\n")
        server.stdin.close()
        wait_for(f"http://127.0.0.1:{port}/")
        sim = WebConnectorSim(
            f"http://127.0.0.1:{port}/qbwc", "qbwc-api", API_PASSWORD, _company(args)
        )
        return {"stores": "nothing", **_measure(server.pid, sim.run, lambda: True)}
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

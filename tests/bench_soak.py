"""Soak: many QBWC sessions in a row against one `qbtransfer serve`, each transferring the
invoice the PSA made ready since the last one; the server's memory and each SOAP method's
latency, per hundred sessions, should stay flat from the first hundred to the last.

    python -m tests.bench_soak [--sessions 1000] [--database-url URL]

Reports, per block of sessions: the server's resident memory at the block's end, and the
median and 99th-percentile latency of each SOAP method; then the last block against the
first. Every invoice must be in the simulated QuickBooks exactly once.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from engine.application import TransferEngine
from tests.helpers import API_PASSWORD, demo_company, local_settings, register_connector, serving
from tests.qbsim.webconnector import WebConnectorSim
from tests.test_transfers_invoices import DEMO

BLOCK = 100


class TimedSim(WebConnectorSim):
    """The simulated Web Connector, timing each SOAP call it makes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.timings: dict[str, list[float]] = defaultdict(list)

    def _call(self, method: str, **params: object):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super()._call(method, **params)
        finally:
            self.timings[method].append(time.perf_counter() - started)


def rss_mb(pid: int) -> float:
    """A process's resident memory now, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_files(pid: int) -> int:
    """How many file descriptors a process holds (connections, database files)."""
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_soak")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--block", type=int, default=BLOCK, help="sessions per report line")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="qbt-soak-"))
    settings = local_settings(workdir, args.database_url)
    url, port, public = settings.database_url or "", settings.port, settings.public_url or ""
    engine = TransferEngine(env=settings.eventstore_env())
    reg = register_connector(engine, public_url=public)
    engine.import_psa(DEMO, by="soak")
    engine.change_connector(reg.connector_id, transfers={"invoices": True})
    company = demo_company()
    company.write_file_id(reg.owner_id, reg.file_id)
    template = copy.deepcopy(DEMO["invoices"][0])
    blocks = []
    try:
        with serving(workdir, port, {"DATABASE_URL": url, "PUBLIC_URL": public}) as server:
            sim = TimedSim(
                f"http://127.0.0.1:{port}{reg.path}", "qbwc-api", API_PASSWORD, company,
                owner_id=reg.owner_id, file_id=reg.file_id, sleep=lambda s: None,
            )  # fmt: skip
            sim.run()  # the first handshake, not measured
            sim.timings.clear()
            started = time.perf_counter()
            for number in range(1, args.sessions + 1):
                invoice = {**template, "id": f"INV-SOAK{number:05d}", "number": f"S{number}"}
                invoice["ready_to_transfer"] = True
                engine.import_psa({"format": DEMO["format"], "invoices": [invoice]}, by="soak")
                result = sim.run()
                if result.outcome not in ("completed", "none"):
                    raise SystemExit(f"session {number}: {result.outcome} {result.message}")
                if number % args.block == 0:
                    blocks.append(_block(number, sim, server.pid))
                    sim.timings.clear()
            wall = time.perf_counter() - started
            # What the server's runners had not queued when its session began goes in the
            # next runs (QBWC polls again); drain them, unmeasured.
            for _ in range(10):
                if len(company.txns["Invoice"]) >= args.sessions:
                    break
                time.sleep(0.5)
                sim.run()
    finally:
        engine.close()
    guids = [i["ExternalGUID"] for i in company.txns["Invoice"].values()]
    first, last = blocks[0], blocks[-1]
    figures = {
        "database": settings.describe_database(),
        "sessions": args.sessions,
        "wall_s": round(wall, 1),
        "invoices_in_quickbooks": len(guids),
        "invoices_expected": args.sessions,
        "duplicates": len(guids) - len(set(guids)),
        "blocks": blocks,
        "last_vs_first": {
            "rss_mb": round(last["server_rss_mb"] - first["server_rss_mb"], 1),
            "p50_ratio": {
                m: round(last["p50_ms"][m] / first["p50_ms"][m], 2)
                for m in first["p50_ms"]
                if m in last["p50_ms"] and first["p50_ms"][m]
            },
        },
    }
    print(json.dumps(figures, indent=1))
    return figures


def _block(number: int, sim: TimedSim, pid: int) -> dict:
    return {
        "after_session": number,
        "server_rss_mb": round(rss_mb(pid), 1),
        "server_open_files": open_files(pid),
        "p50_ms": {m: round(1000 * statistics.median(v), 1) for m, v in sim.timings.items()},
        "p99_ms": {m: round(1000 * percentile(v, 0.99), 1) for m, v in sim.timings.items()},
    }


if __name__ == "__main__":
    main()

"""Crash anywhere: one full QBWC session of every document type, with a process killed by
SIGKILL at one boundary of it, restarted, and the simulated Web Connector carrying on as QBWC
does (the failed update ends; the next one starts afresh). Afterwards nothing may be doubled,
lost or stuck: the simulated QuickBooks holds exactly what an uninterrupted session leaves, every
transfer ends as it would have, and every read model equals the log.

The boundaries are those of the first update's SOAP calls, on either side of each: `before`,
the call never reaches a living server (before a receiveResponseXML, QuickBooks has applied the
message and the server has not recorded the answer); `after`, the server did the work and
committed it, and the answer is lost with the process. The victim is either the web process
(`qbtransfer serve`, web and background in one) or, with web processes under gunicorn, the
`qbtransfer worker` that runs the read models and the scheduler.

    python -m tests.bench crash [--database-url URL] [--victim web|worker] [--stride N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.aggregates.transfer import PENDING, UNSURE
from engine.settings import Settings
from projections.runtime import open_view
from projections.verify import verify
from tests.helpers import (
    API_PASSWORD,
    Registered,
    fresh_schema,
    local_settings,
    process_env,
    wait_for,
    wait_read_models_at_head,
)
from tests.qbsim.company import Company
from tests.qbsim.soap import TransportError
from tests.qbsim.webconnector import WebConnectorSim
from tests.test_transfers_invoices import DEMO, caught_up, synced_demo

KINDS = ("invoices", "timesheets", "expense_reports", "purchase_orders")
MAPPINGS = (
    ("payroll-categories", "PAY-1", "Regular Pay"),
    ("payroll-categories", "PAY-2", "[do not transfer]"),
    ("expense-billable", "EXP-1", "Travel"),
    ("expense-reimbursable", "EXP-2", "Meals and Entertainment"),
)
UNSETTLED = tuple(sorted(PENDING | UNSURE))  # still to go, or gone with no answer recorded
MAX_RUNS = 12  # updates after the crash before a transfer still pending counts as stuck


@dataclass(frozen=True)
class Boundary:
    """Where the victim dies: on one side of the first update's `call`th SOAP call."""

    call: int
    method: str
    side: str  # "before" or "after"

    def __str__(self) -> str:
        return f"{self.side} call {self.call} ({self.method})"


@dataclass
class Shop:
    """A fresh store ready for the session: the demo synced, imported, mapped, every type on."""

    settings: Settings
    reg: Registered
    company: Company
    env: dict[str, str]


def prepare(database_url: str | None, workdir: Path) -> Shop:
    """The store and the simulated company, before the session to be interrupted."""
    settings = local_settings(workdir, database_url)
    engine, reg, company = synced_demo(settings)
    try:
        engine.import_psa(DEMO, by="crash")
        for category, psa_id, target in MAPPINGS:
            engine.set_mapping(
                reg.connector_id, category, psa_id, target, directory=engine.directory, by="crash"
            )
        engine.change_connector(reg.connector_id, transfers=dict.fromkeys(KINDS, True))
        caught_up(engine, settings)
    finally:
        engine.close()
    env = process_env(settings, PUBLIC_URL=settings.public_url or "")
    return Shop(settings, reg, company, env)


class Processes:
    """A store's server processes: `serve` alone when the web process is the victim, else
    gunicorn (`web_workers` of them) and a worker, as the Procfile runs them."""

    def __init__(
        self, settings: Settings, env: dict[str, str], victim: str, web_workers: int = 2
    ) -> None:
        self.settings, self.env, self.victim = settings, env, victim
        self.port, self.web_workers = settings.port, web_workers
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.kills = 0

    def _spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=self.settings.base_dir,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def start(self) -> None:
        """Start whatever is not running, and wait until QBWC can reach it."""
        if self.victim == "web":
            if self.web is None:
                self.web = self._spawn("web.cli", "serve", "--port", str(self.port))
        else:
            if self.web is None:
                self.web = self._spawn(
                    "gunicorn", "--workers", str(self.web_workers),
                    "--bind", f"127.0.0.1:{self.port}",
                    "web:create_app()",
                )  # fmt: skip
            if self.worker is None:
                self.worker = self._spawn("web.cli", "worker")
        wait_for(f"http://127.0.0.1:{self.port}/healthz")

    def kill(self) -> bool:
        """SIGKILL the victim, with no warning; whether QBWC's call dies with it (the web
        process answers it; a worker does not)."""
        self.kills += 1
        if self.victim == "web":
            _kill(self.web)
            self.web = None
            return True
        _kill(self.worker)
        self.worker = None
        self.start()  # a worker is restarted at once, as a supervisor would
        return False

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process is not None:
                _kill(process)
        self.web = self.worker = None


def _kill(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # gunicorn's workers die with their arbiter
    process.wait(30)


class CrashingSim(WebConnectorSim):
    """The simulated Web Connector, the victim killed at one boundary of its calls."""

    def __init__(self, *args: object, processes: Processes, at: Boundary | None, **kwargs):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.processes, self.at = processes, at
        self.made = 0  # SOAP calls so far, over every update
        self.methods: list[str] = []
        # The receiveResponseXML calls that answer a message adding something to QuickBooks:
        # before them, QuickBooks has applied it and the server has not recorded it.
        self.after_adds: list[int] = []
        self._request = ""

    def _call(self, method: str, **params: object):  # type: ignore[no-untyped-def]
        self.made += 1
        self.methods.append(method)
        at = self.at if self.at is not None and self.at.call == self.made else None
        assert at is None or at.method == method, "the session changed"
        if at is not None and at.side == "before":
            self.processes.kill()
        if method == "receiveResponseXML" and "AddRq" in self._request:
            self.after_adds.append(self.made)
        answer = super()._call(method, **params)
        if method == "sendRequestXML":
            self._request = answer or ""
        if at is not None and at.side == "after" and self.processes.kill():
            raise TransportError(
                "The underlying connection was closed: the connection was closed unexpectedly."
            )
        return answer


@dataclass
class Outcome:
    """What one crash run left behind."""

    boundary: Boundary | None
    runs: list[str] = field(default_factory=list)  # each update's outcome, the first one's first
    quickbooks: dict[str, int] = field(default_factory=dict)  # transactions by type
    duplicates: int = 0  # transactions sharing an ExternalGUID
    transfers: dict[str, int] = field(default_factory=dict)  # "kind status" -> count
    verified: int = 0  # transfers found in QuickBooks after their answer was lost
    differences: list[str] = field(default_factory=list)  # read models against the log
    kills: int = 0  # how many times the victim was killed (one, unless no boundary was set)
    after_adds: list[int] = field(default_factory=list)  # CrashingSim.after_adds, first update
    seconds: float = 0.0

    def problems(self, expected: Outcome) -> list[str]:
        """How this run differs from the uninterrupted one (nothing, if all is well)."""
        found = []
        if self.quickbooks != expected.quickbooks:
            found.append(f"QuickBooks holds {self.quickbooks}, not {expected.quickbooks}")
        if self.duplicates:
            found.append(f"{self.duplicates} transactions duplicated")
        if self.transfers != expected.transfers:
            found.append(f"transfers {self.transfers}, not {expected.transfers}")
        found += self.differences
        return found


def _settled(transfers: dict[str, int]) -> dict[str, int]:
    # A transfer whose answer was lost and then found in QuickBooks ends `verified`: for the
    # books, the same as `succeeded`.
    settled: Counter[str] = Counter()
    for key, count in transfers.items():
        settled[key.replace(" verified", " succeeded")] += count
    return dict(sorted(settled.items()))


def run_once(database_url: str | None, victim: str, at: Boundary | None, workdir: Path):
    """The session interrupted at `at` (None: not at all), then QBWC's further updates until
    nothing is left: (what it left, the first update's SOAP methods)."""
    started = time.perf_counter()
    shop = prepare(database_url, workdir)
    port = shop.settings.port
    processes = Processes(shop.settings, shop.env, victim)
    outcome = Outcome(at)
    try:
        processes.start()
        sim = CrashingSim(
            f"http://127.0.0.1:{port}{shop.reg.path}", "qbwc-api", API_PASSWORD, shop.company,
            owner_id=shop.reg.owner_id, file_id=shop.reg.file_id, sleep=lambda s: None,
            processes=processes, at=at,
        )  # fmt: skip
        first = sim.run()
        outcome.runs.append(first.outcome)
        first_methods = list(sim.methods)
        outcome.after_adds = list(sim.after_adds)
        processes.start()  # QBWC's next update finds the server restarted
        for _ in range(MAX_RUNS):
            # QBWC's own pause between updates: the server's runners apply what was stored.
            wait_read_models_at_head(shop.settings)
            result = sim.run()
            outcome.runs.append(result.outcome)
            if wait_read_models_at_head(shop.settings) and not _pending(shop.settings):
                break
    finally:
        outcome.kills = processes.kills
        processes.stop()
    _inspect(shop, outcome)
    outcome.seconds = round(time.perf_counter() - started, 2)
    return outcome, first_methods


def _pending(settings: Settings) -> int:
    """Transfers not yet settled one way or the other."""
    view = open_view(settings, "transfers")
    try:
        marks = ", ".join("?" for _ in UNSETTLED)
        sql = f"SELECT COUNT(*) AS n FROM {{transfers}} WHERE status IN ({marks})"
        return int(view.query(sql, UNSETTLED)[0]["n"])
    finally:
        view.close()


def _inspect(shop: Shop, outcome: Outcome) -> None:
    from engine.application import TransferEngine

    guids = Counter()
    for txn_type, txns in shop.company.txns.items():
        if txns:
            outcome.quickbooks[txn_type] = len(txns)
        guids.update(t.get("ExternalGUID") for t in txns.values() if t.get("ExternalGUID"))
    outcome.duplicates = sum(n - 1 for n in guids.values() if n > 1)
    view = open_view(shop.settings, "transfers")
    try:
        rows = view.query("SELECT kind, status, COUNT(*) AS n FROM {transfers} GROUP BY 1, 2")
    finally:
        view.close()
    outcome.transfers = _settled({f"{r['kind']} {r['status']}": r["n"] for r in rows})
    outcome.verified = sum(r["n"] for r in rows if r["status"] == "verified")
    engine = TransferEngine(env=shop.settings.eventstore_env())
    try:
        for report in verify(shop.settings, engine):
            outcome.differences += [f"{report.name}: {d}" for d in report.differences]
    finally:
        engine.close()


def boundaries(methods: list[str]) -> list[Boundary]:
    """Both sides of every SOAP call of an uninterrupted first update."""
    return [
        Boundary(n, method, side)
        for n, method in enumerate(methods, start=1)
        for side in ("before", "after")
    ]


@contextlib.contextmanager
def fresh_store(database_url: str | None) -> Iterator[tuple[str | None, Path]]:
    """A working directory, and on PostgreSQL a schema of its own, for one run."""
    workdir = Path(tempfile.mkdtemp(prefix="qbt-crash-"))
    if database_url is None:
        yield None, workdir
        return
    with fresh_schema(database_url) as url:
        yield url, workdir


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench crash")
    parser.add_argument("--database-url", help="PostgreSQL (a schema per run); default SQLite")
    parser.add_argument("--victim", choices=("web", "worker"), default="web")
    parser.add_argument("--stride", type=int, default=1, help="every Nth boundary only")
    args = parser.parse_args(argv)
    with fresh_store(args.database_url) as (url, workdir):
        expected, methods = run_once(url, args.victim, None, workdir)
    runs = []
    for at in boundaries(methods)[:: args.stride]:
        with fresh_store(args.database_url) as (url, workdir):
            outcome, _ = run_once(url, args.victim, at, workdir)
        runs.append({"at": str(at), "runs": outcome.runs, "problems": outcome.problems(expected),
                     "verified": outcome.verified, "seconds": outcome.seconds})  # fmt: skip
        print(json.dumps(runs[-1]), flush=True)
    figures = {
        "database": "postgresql" if args.database_url else "sqlite",
        "victim": args.victim,
        "boundaries": len(runs),
        "calls_in_the_session": len(methods),
        "expected": {"quickbooks": expected.quickbooks, "transfers": expected.transfers},
        "with_problems": sum(1 for r in runs if r["problems"]),
        "with_a_lost_answer_verified": sum(1 for r in runs if r["verified"]),
        "updates_to_settle": dict(Counter(len(r["runs"]) - 1 for r in runs)),
        "seconds": round(sum(r["seconds"] for r in runs), 1),
    }
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()

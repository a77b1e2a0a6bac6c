"""Load: many Web Connectors at once against gunicorn and a worker on one store, as production
runs (Procfile), each on its own connector transferring its invoices; some connectors have a
second Web Connector (a second machine with its own .qwc) racing the first, which must be told
`busy` while the first holds the connector.

    python -m tests.bench load --database-url URL [--connectors 50] [--pairs 5] [--sessions 10]
                               [--invoices 20] [--workers 4]

Each Web Connector runs in its own process (its own simulated QuickBooks company), so that the
client's timings are not the client's own queueing. After every process has done its first
handshake (unmeasured), each connector's invoices are made ready, and all of them start
together: `--sessions` updates each, back to back, the first one transferring the invoices, the
later ones what QBWC's polls find (paid dates, list checks). Reports throughput and the p50 and
p99 latency of each SOAP method as the clients measured it, beside the target (p99 at most
250 ms), and checks: no update failed, every invoice is in its QuickBooks exactly once, and
each racing pair saw `busy`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.settings import Settings
from tests.bench_soak import TimedSim, percentile
from tests.bench_transfers import psa_file
from tests.crash import Processes
from tests.helpers import (
    API_PASSWORD,
    demo_company,
    local_settings,
    log_size,
    process_env,
    register_connector,
    wait_read_models_at_head,
)
from web.bootstrap import bootstrap

TARGET_P99_MS = 250.0


@dataclass(frozen=True)
class Machine:
    """One QBWC installation: a .qwc of a connector."""

    url: str
    username: str
    owner_id: str
    file_id: str


@dataclass(frozen=True)
class Connector:
    """A connector's Web Connectors (two for a racing pair) sharing one company file."""

    name: str
    machines: tuple[Machine, ...]
    offset: float  # seconds after the start its Web Connectors' first update begins


def prepare(args: argparse.Namespace, settings: Settings):
    """The store: `args.connectors` connectors, each with its own API user, organization and
    invoices (not yet ready), the first `args.pairs` with a second .qwc; their first updates
    spread evenly over `args.spread` seconds. Returns (connectors, the PSA file)."""
    engine = bootstrap(settings)
    port, public = settings.port, settings.public_url
    try:
        connectors, ids = [], []
        for n in range(args.connectors):
            user = f"qbwc-load-{n:02d}"
            reg = register_connector(engine, public_url=public, name=f"Load {n:02d}",
                                     username=user)  # fmt: skip
            url = f"http://127.0.0.1:{port}{reg.path}"
            machines = [Machine(url, user, reg.owner_id, reg.file_id)]
            if n < args.pairs:  # a second machine: the same connector, a .qwc of its own
                issued = engine.issue_qwc(reg.connector_id, public_url=public, issued_by="load")
                url = f"http://127.0.0.1:{port}/qbwc/{issued['registration_id']}"
                machines.append(Machine(url, user, reg.owner_id, reg.file_id))
            offset = args.spread * n / args.connectors
            connectors.append(Connector(f"Load {n:02d}", tuple(machines), offset))
            ids.append(reg.connector_id)
        data = psa_file(args.connectors * args.invoices, args.connectors)
        for invoice in data["invoices"]:
            invoice["ready_to_transfer"] = False
        engine.import_psa(data, by="load")
        for n, connector_id in enumerate(ids):
            engine.assign("organizations", f"ORG-B{n:04d}", connector_id, by="load")
            engine.change_connector(connector_id, transfers={"invoices": True})
    finally:
        engine.close()
    return connectors, data


def web_connector(connector: Connector, args: argparse.Namespace, ready, start, results) -> None:
    """One child process: a connector's company and its Web Connector(s), each running
    `args.sessions` updates `args.interval` seconds apart."""
    company = demo_company()
    company.write_file_id(connector.machines[0].owner_id, connector.machines[0].file_id)
    sims = [
        TimedSim(m.url, m.username, API_PASSWORD, company, owner_id=m.owner_id,
                 file_id=m.file_id, sleep=lambda s: None)
        for m in connector.machines
    ]  # fmt: skip
    first = sims[0].run()  # the first handshake: the lists, unmeasured
    ready.put((connector.name, first.outcome))
    start.wait()
    time.sleep(connector.offset)
    for sim in sims:
        sim.timings.clear()
    outcomes: list[list[str]] = [[] for _ in sims]
    # Each call's time, by phase: the first update (cold caches, the invoices) or the polls.
    phases: dict[str, dict[str, list[float]]] = {
        "first": defaultdict(list),
        "later": defaultdict(list),
    }
    holding = threading.Event()

    def updates(index: int) -> None:
        sim = sims[index]
        for number in range(args.sessions):
            if index == 1 and number == 0:
                holding.wait(30)  # the race: the second asks while the first holds the slot
            elif number:
                time.sleep(args.interval)
            result = sim.run()
            outcomes[index].append(result.outcome)
            phase = phases["first" if number == 0 else "later"]
            for method, values in sim.timings.items():
                phase[method] += values
            sim.timings.clear()

    if len(sims) > 1:
        # The first machine's first update pauses inside its session (QuickBooks being slow
        # on the first message) long enough for the second to authenticate.
        original = sims[0]._call

        def first_call(method: str, **params: object):  # type: ignore[no-untyped-def]
            answer = original(method, **params)
            if method == "sendRequestXML" and not holding.is_set():
                holding.set()
                time.sleep(0.5)
            return answer

        sims[0]._call = first_call  # type: ignore[method-assign]
    threads = [threading.Thread(target=updates, args=(i,)) for i in range(len(sims))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    guids = [t["ExternalGUID"] for t in company.txns["Invoice"].values()]
    results.put({"name": connector.name, "outcomes": outcomes, "guids": guids,
                 "timings": {k: dict(v) for k, v in phases.items()}})  # fmt: skip


def _cpu_by_role(web_pid: int, worker_pid: int, clients: set[int]) -> dict[str, float]:
    """CPU seconds used so far by each role's processes, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: Counter[str] = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        pid, ppid, cpu = int(entry.name), int(fields[1]), (int(fields[11]) + int(fields[12]))
        if pid == web_pid or ppid == web_pid:
            role = "gunicorn (web)"
        elif pid == worker_pid:
            role = "worker"
        elif comm == "postgres":
            role = "postgresql"
        elif pid in clients:
            role = "simulated web connectors and QuickBooks"
        else:
            continue
        used[role] += cpu / ticks
    return dict(used)


def _log_size(settings: Settings) -> tuple[int, int]:
    from engine.application import TransferEngine

    engine = TransferEngine(env=settings.eventstore_env())
    try:
        return log_size(engine)
    finally:
        engine.close()


def _caught_up(settings: Settings) -> None:
    if not wait_read_models_at_head(settings, timeout=120.0):
        raise SystemExit("the worker's read models did not catch up")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The load, start to finish; its figures."""
    settings = local_settings(Path(tempfile.mkdtemp(prefix="qbt-load-")), args.database_url)
    connectors, data = prepare(args, settings)
    env = process_env(settings, PUBLIC_URL=settings.public_url or "")
    processes = Processes(settings, env, "worker", web_workers=args.workers)  # the Procfile's
    processes.start()
    context = multiprocessing.get_context("spawn")  # no fork of open pools or threads
    ready, results, start = context.Queue(), context.Queue(), context.Event()
    children = [
        context.Process(target=web_connector, args=(c, args, ready, start, results))
        for c in connectors
    ]
    try:
        for child in children:
            child.start()
        firsts = Counter(ready.get(timeout=600)[1] for _ in children)
        engine = bootstrap(settings)
        try:
            for invoice in data["invoices"]:
                invoice["ready_to_transfer"] = True
            engine.import_psa({"format": data["format"], "invoices": data["invoices"]}, by="load")
        finally:
            engine.close()
        _caught_up(settings)
        log_before = _log_size(settings)
        clients = {child.pid for child in children if child.pid}
        assert processes.web is not None and processes.worker is not None
        roles = (processes.web.pid, processes.worker.pid, clients)
        idle = {}
        if args.idle:  # what the processes cost with no Web Connector calling
            idle_before = _cpu_by_role(*roles)
            time.sleep(args.idle)
            idle_after = _cpu_by_role(*roles)
            idle = {k: round((idle_after[k] - idle_before.get(k, 0)) / args.idle, 3)
                    for k in idle_after if not k.startswith("simulated")}  # fmt: skip
        cpu_before = _cpu_by_role(*roles)
        started = time.perf_counter()
        start.set()
        gathered = [results.get(timeout=1200) for _ in children]
        wall = time.perf_counter() - started
        cpu_after = _cpu_by_role(*roles)
        cpu = {k: round(cpu_after.get(k, 0) - cpu_before.get(k, 0), 1) for k in cpu_after}
        _caught_up(settings)
        log_after = _log_size(settings)
        for child in children:
            child.join(30)
    finally:
        processes.stop()
    figures = _figures(args, settings, gathered, firsts, wall)
    figures["cpu_s"] = cpu
    updates = sum(figures["updates"].values())
    figures["server_cpu_ms_per_update"] = round(
        1000 * sum(v for k, v in cpu.items() if not k.startswith("simulated")) / updates, 1
    )
    figures["cpu_ms_per_update"] = {k: round(1000 * v / updates, 1) for k, v in cpu.items()}
    if idle:
        figures["idle_cpu_s_per_s"] = idle
        figures["marginal_cpu_ms_per_update"] = {
            k: round(1000 * (cpu.get(k, 0) - idle[k] * figures["wall_s"]) / updates, 1)
            for k in idle
        }
    figures["events_per_update"] = round((log_after[0] - log_before[0]) / updates, 1)
    figures["stored_kb_per_update"] = round((log_after[1] - log_before[1]) / 1024 / updates, 2)
    return figures


def _figures(args, settings, gathered, firsts, wall) -> dict[str, Any]:
    timings: dict[str, list[float]] = defaultdict(list)
    by_phase: dict[str, dict[str, list[float]]] = {"first": defaultdict(list),
                                                   "later": defaultdict(list)}  # fmt: skip
    outcomes: Counter[str] = Counter()
    pair_busy, duplicates, landed = [], 0, 0
    for result in gathered:
        for phase, methods_timed in result["timings"].items():
            for method, values in methods_timed.items():
                timings[method] += values
                by_phase[phase][method] += values
        for machine in result["outcomes"]:
            outcomes.update(machine)
        if len(result["outcomes"]) > 1:
            pair_busy.append(sum(o == "busy" for o in result["outcomes"][1]))
        duplicates += len(result["guids"]) - len(set(result["guids"]))
        landed += len(set(result["guids"]))
    calls = sum(len(v) for v in timings.values())
    methods = {
        method: {
            "calls": len(values),
            "p50_ms": round(1000 * percentile(values, 0.5), 1),
            "p99_ms": round(1000 * percentile(values, 0.99), 1),
            "max_ms": round(1000 * max(values), 1),
        }
        for method, values in sorted(timings.items())
    }
    for method, numbers in methods.items():
        for phase, timed in by_phase.items():
            if timed.get(method):
                numbers[f"{phase}_update_p99_ms"] = round(1000 * percentile(timed[method], 0.99), 1)
    worst = max(m["p99_ms"] for m in methods.values())
    return {
        "database": settings.describe_database(),
        "gunicorn_workers": args.workers,
        "connectors": args.connectors,
        "racing_pairs": args.pairs,
        "sessions_each": args.sessions,
        "first_updates_spread_s": args.spread,
        "interval_s": args.interval,
        "first_handshakes": dict(firsts),
        "wall_s": round(wall, 1),
        "updates": dict(outcomes),
        "errors": sum(n for o, n in outcomes.items() if o not in ("completed", "none", "busy")),
        "busy_seen_by_each_pair": pair_busy,
        "invoices_expected": args.connectors * args.invoices,
        "invoices_in_quickbooks": landed,
        "duplicates": duplicates,
        "soap_calls": calls,
        "calls_per_s": round(calls / wall, 1),
        "invoices_per_s": round(landed / wall, 1),
        "methods": methods,
        "target_p99_ms": TARGET_P99_MS,
        "worst_p99_vs_target": round(worst / TARGET_P99_MS, 2),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m tests.bench load")
    parser.add_argument("--database-url", help="PostgreSQL, as production; default SQLite")
    parser.add_argument("--connectors", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=5, help="connectors with two machines")
    parser.add_argument("--sessions", type=int, default=10, help="updates per Web Connector")
    parser.add_argument("--invoices", type=int, default=20, help="per connector")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn's")
    parser.add_argument(
        "--idle",
        type=float,
        default=0.0,
        help="seconds of measuring the processes with no Web Connector first",
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=5.0,
        help="seconds over which the first updates begin (0: all at once)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help="seconds between a Web Connector's updates (QBWC's Every N minutes)",
    )
    figures = run(parser.parse_args(argv))
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()

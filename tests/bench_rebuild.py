"""Benchmark: rebuilding every read model from an event log of 1,000,000 events.

    python -m tests.bench_rebuild [--database-url URL] [--events 1000000] [--template 300]

The log is a realistic mix because it is made of real work: a template store first runs the
first handshake (list pages), imports a PSA file of `--template` invoices plus timesheets,
expense reports and purchase orders, and transfers them all through QBWC sessions against the
simulated company (sessions, exchanges with their qbXML, transfers, paid dates). The
template's events are then copied into the measured store until it holds `--events`, each
copy with ids of its own (every UUID in an event is mapped to a copy-specific one), inserted
through the library's recorder as stored events.

Each read model is then rebuilt as `qbtransfer projections rebuild` does (a shadow built from
position zero, swapped in), and the figures are the events each one applied per second, and
for all of them together. For comparison in the same run, `--baseline` events of the transfers
read model are applied as the library does by default, one event per transaction. Targets
(issue 15), on the 2-core machine: at least 20,000 events per second on SQLite and 10,000 on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path
from uuid import UUID, uuid5

from eventsourcing.persistence import StoredEvent

from engine.settings import Settings
from projections import writer
from projections.runtime import READ_MODELS, fresh_view, open_view, rebuild
from projections.writer import apply_pending
from tests.bench_transfers import (
    TimedCompany,
    map_mixed,
    mixed,
    prepare_mixed,
    psa_file,
    run,
)
from tests.helpers import demo_company, register_connector
from tests.qbsim.writes import add_list_record
from web.bootstrap import bootstrap

COPIES = UUID("6f0e2b1c-3d4a-4b5c-8d6e-7f8091a2b3c4")
HEX_ID = re.compile(rb'"uuid_hex","_data_":"([0-9a-f]{32})"')
DASHED_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
INSERT_CHUNK = 2_000


ROUNDS = 10  # sessions that transfer something
IDLE_POLLS = 3  # sessions after each that find nothing to do
DOCUMENTS = ("invoices", "timesheets", "expense_reports", "purchase_orders")


def template_log(invoices: int) -> list[StoredEvent]:
    """The stored events of a store that did a real day's work (see the module's text)."""
    workdir = Path(tempfile.mkdtemp(prefix="qbt-template-"))
    settings = Settings(database_url=f"sqlite:///{workdir / 'events.sqlite3'}", base_dir=workdir)
    engine = bootstrap(settings)
    try:
        reg = register_connector(engine)
        qb = demo_company()
        organizations = max(2, invoices // 10)
        for o in range(0, organizations, 2):
            add_list_record(qb, "customer", {"Name": f"Bench Client {o:04d}"})
        qb.write_file_id(reg.owner_id, reg.file_id)
        prepare_mixed(qb)
        company = TimedCompany(qb)
        run(engine, reg, company)  # the first handshake: every list, page by page
        full = mixed(psa_file(invoices, organizations), organizations)
        for round_ in range(1, ROUNDS + 1):
            # The PSA's day goes on: each import adds the next share of every document type.
            share = {k: full[k][: len(full[k]) * round_ // ROUNDS] for k in DOCUMENTS}
            engine.import_psa({**full, **share}, by="bench")
            for name in ("quickbookslists", "transfers", "psarecords"):
                fresh_view(settings, engine, name).close()
            if round_ == 1:
                map_mixed(engine, reg)
                engine.change_connector(reg.connector_id, transfers=dict.fromkeys(DOCUMENTS, True))
                for name in ("quickbookslists", "transfers", "psarecords"):
                    fresh_view(settings, engine, name).close()
            run(engine, reg, company)
            for _ in range(IDLE_POLLS):
                run(engine, reg, company)
        events, after = [], 0
        while batch := engine.recorder.select_notifications(
            start=after, limit=1000, inclusive_of_start=False
        ):
            events += [
                StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in batch
            ]
            after = batch[-1].id
        return events
    finally:
        engine.close()


def copy_of(events: list[StoredEvent], copy: int) -> list[StoredEvent]:
    """`events` with every id mapped to one of copy number `copy`'s own."""
    mapped: dict[bytes, UUID] = {}

    def new_id(hex_id: bytes) -> UUID:
        if hex_id not in mapped:
            mapped[hex_id] = uuid5(COPIES, f"{copy}:{hex_id.decode()}")
        return mapped[hex_id]

    def hex_sub(match: re.Match[bytes]) -> bytes:
        return b'"uuid_hex","_data_":"%s"' % new_id(match.group(1)).hex.encode()

    def dashed_sub(match: re.Match[bytes]) -> bytes:
        return str(new_id(match.group(0).replace(b"-", b""))).encode()

    out = []
    for event in events:
        state = zlib.decompress(event.state)
        state = DASHED_ID.sub(dashed_sub, HEX_ID.sub(hex_sub, state))
        originator = new_id(UUID(str(event.originator_id)).hex.encode())
        out.append(
            StoredEvent(originator, event.originator_version, event.topic, zlib.compress(state, 1))
        )
    return out


def fill(engine, template: list[StoredEvent], target: int) -> int:
    """Copies of `template` in the store until it holds at least `target` events."""
    copy = 0
    while (engine.recorder.max_notification_id() or 0) < target:
        copy += 1
        events = copy_of(template, copy)
        for start in range(0, len(events), INSERT_CHUNK):
            engine.recorder.insert_events(events[start : start + INSERT_CHUNK])
    return copy


def one_per_transaction(settings, engine, name: str, events: int) -> dict:
    """The library's default for comparison, in the same run: one event per transaction, its
    tracking written each time, for the first `events` events of one read model (into its
    shadow tables, which the next rebuild drops)."""
    model = READ_MODELS[name]
    first = engine.recorder.select_notifications(
        start=0, limit=events, topics=model.projection.topics, inclusive_of_start=False
    )
    shadow = open_view(settings, name, shadow=True)
    saved = writer.BATCH
    try:
        shadow.start_over(engine.name)
        writer.BATCH = 1
        wall = time.perf_counter()
        applied = apply_pending(engine, shadow, model, stop=first[-1].id)
        wall = time.perf_counter() - wall
        shadow.start_over(engine.name)
    finally:
        writer.BATCH = saved
        shadow.close()
    return {
        "read_model": model.name,
        "applied": applied,
        "seconds": round(wall, 2),
        "events_per_second": round(applied / wall),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_rebuild")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--template", type=int, default=300, help="invoices in the template")
    parser.add_argument(
        "--baseline", type=int, default=20_000, help="events applied one per transaction (0: none)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    template = template_log(args.template)
    workdir = Path(tempfile.mkdtemp(prefix="qbt-rebuild-"))
    url = args.database_url or f"sqlite:///{workdir / 'events.sqlite3'}"
    settings = Settings(database_url=url, base_dir=workdir)
    engine = bootstrap(settings)
    try:
        copies = fill(engine, template, args.events)
        log_size = engine.recorder.max_notification_id() or 0
        built_in = time.perf_counter() - started
        models, total_applied, total_time = {}, 0, 0.0
        for name, model in READ_MODELS.items():
            wall = time.perf_counter()
            applied = rebuild(settings, engine, name)
            wall = time.perf_counter() - wall
            models[model.name] = {
                "applied": applied,
                "seconds": round(wall, 2),
                "events_per_second": round(applied / wall),
            }
            total_applied += applied
            total_time += wall
        baseline = (
            one_per_transaction(settings, engine, "transfers", args.baseline)
            if args.baseline
            else None
        )
        if baseline:
            baseline["batched_is_faster_by"] = round(
                models["Transfers"]["events_per_second"] / baseline["events_per_second"], 1
            )
        mix = Counter(event.topic.rsplit(":", 1)[-1].split(".")[0] for event in template)
        figures = {
            "database": settings.describe_database(),
            "log_events": log_size,
            "template_events": len(template),
            "copies": copies,
            "template_mix": dict(mix.most_common()),
            "log_built_s": round(built_in, 1),
            "read_models": models,
            "all_read_models": {
                "applied": total_applied,
                "seconds": round(total_time, 2),
                "events_per_second": round(total_applied / total_time),
            },
            "one_event_per_transaction": baseline,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        engine.close()
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()

"""The read models are kept current by their supervised runners, as in `qbtransfer serve` and
`qbtransfer worker`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import uuid4

from engine.aggregates.quickbooks_lists import QuickBooksLists
from projections.runtime import open_view, running_projections


def test_runners_follow_new_events(engine, settings):
    connector_id = uuid4()
    with running_projections(settings, engine) as runners:
        assert {r.model.name for r in runners} == {
            "QuickBooksLists",
            "Sessions",
            "PsaRecords",
            "Transfers",
            "TransferHistory",
            "Notices",
        }
        lists = QuickBooksLists(connector_id)
        lists.record_page(
            "classes",
            [
                {
                    "list_id": "80000001-1",
                    "edit_sequence": "1",
                    "name": "Helpdesk",
                    "full_name": "Helpdesk",
                    "type": "Class",
                    "is_active": True,
                    "time_modified": "2026-01-01T10:00:00-08:00",
                }
            ],
            datetime.now(UTC),
        )
        engine.save(lists)
        view = open_view(settings, "quickbookslists")
        try:
            deadline = time.monotonic() + 10
            while view.counts(connector_id)["classes"] != 1:
                assert time.monotonic() < deadline, "the runner did not apply the event"
                time.sleep(0.05)
        finally:
            view.close()
        deadline = time.monotonic() + 10
        while any(runner.state.state != "running" for runner in runners):
            assert time.monotonic() < deadline, [r.state for r in runners]  # no projection error
            time.sleep(0.05)
        assert all(runner.is_alive() for runner in runners)


def test_the_worker_keeps_read_models_up_to_date_and_stops_on_sigterm(engine, settings, tmp_path):
    import json
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.test_import import DEMO

    repo = Path(__file__).resolve().parents[1]
    worker = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "worker"],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": settings.database_url, "PYTHONPATH": str(repo)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        engine.import_psa(json.loads(DEMO.read_text()), by="test")
        view = open_view(settings, "psarecords")
        try:
            deadline = time.monotonic() + 20
            while len(view.records_of("invoices")) != 3:
                assert time.monotonic() < deadline, "the worker did not apply the import"
                time.sleep(0.1)
        finally:
            view.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "qbtransfer worker stopped" in err


def test_find_by_list_id_or_name_in_any_letter_case(engine, settings):
    from eventsourcing.persistence import Tracking

    connector_id = uuid4()
    source = QuickBooksLists.create_id(connector_id)
    view = open_view(settings, "quickbookslists")
    try:
        records = [
            {
                "list_id": "1-1",
                "full_name": "Bright:Downtown",
                "name": "Downtown",
                "type": "Customer",
                "is_active": True,
            },
            {
                "list_id": "2-1",
                "full_name": "Éclair Bakery",
                "name": "Éclair Bakery",
                "type": "Customer",
                "is_active": False,
            },
            {
                "list_id": "3-1",
                "full_name": "2-1",
                "name": "2-1",
                "type": "Customer",
                "is_active": True,
            },
        ]
        view.upsert(source, "customers", records, Tracking("test", 1))
        assert view.find(connector_id, "customers", "1-1")["full_name"] == "Bright:Downtown"
        assert view.find(connector_id, "customers", "bright:DOWNTOWN")["list_id"] == "1-1"
        found = view.find(connector_id, "customers", "éCLAIR bakery")
        assert found["list_id"] == "2-1" and found["is_active"] is False
        assert (
            view.find(connector_id, "customers", "2-1")["full_name"] == "Éclair Bakery"
        )  # ListID wins
        assert view.find(connector_id, "customers", "Nobody") is None
        assert view.find(connector_id, "accounts", "1-1") is None
    finally:
        view.close()

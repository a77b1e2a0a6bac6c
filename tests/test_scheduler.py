"""The scheduler (issue 14): a deletion sync every 24 hours, run end to end with the simulator
under a fake clock; sessions QBWC abandoned expired, their connector freed and their writes in
doubt; and two workers running the jobs one at a time, the survivor taking over."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from engine.commanding import utcnow
from projections.runtime import fresh_view
from tests.helpers import API_PASSWORD, process_env, run_session
from tests.test_transfers_invoices import (
    DEMO_READY,
    caught_up,
    invoices_in,
    on_invoices,
    session,
    statuses,
)
from web.mail import OutboxDelivery
from web.scheduler import JobContext, Scheduler, deletion_syncs, session_expiry


class FakeClock:
    """The engine's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(shop) -> FakeClock:
    engine = shop[0]
    engine.clock = FakeClock()
    return engine.clock


def jobs(engine, settings, tmp_path) -> JobContext:
    return JobContext(engine, settings, OutboxDelivery(tmp_path / "outbox", "q@acme.example"))


def history_results(engine, settings, psa_id: str) -> list[str]:
    view = fresh_view(settings, engine, "transferhistory")
    try:
        rows = view.query("SELECT result FROM {history} WHERE psa_id = ? ORDER BY seq", (psa_id,))
    finally:
        view.close()
    return [row["result"] for row in rows]


def test_a_deletion_sync_falls_due_every_24_hours_and_flags_what_quickbooks_deleted(
    shop, clock, tmp_path
):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    run_session(engine, reg, company)  # the invoices go in
    assert statuses(engine, reg, *DEMO_READY) == ["succeeded", "succeeded"]
    context = jobs(engine, settings, tmp_path)

    # Never run yet: due at once, then done by the next session.
    assert deletion_syncs(context) == [UUID(reg.connector_id)]
    assert deletion_syncs(context) == []  # asked for already: not twice
    clock.advance(minutes=61)
    run_session(engine, reg, company)
    assert engine.list_sync_status(reg.connector_id)["deletion_sync_due"] is False

    engine.set_mapping(
        reg.connector_id, "lines-of-business", "LOB-1", "Managed Services",
        directory=engine.directory, by="admin",
    )  # fmt: skip
    gone = engine.get_transfer("invoice", DEMO_READY[0], reg.connector_id)["quickbooks"]
    company.delete_txn(gone["txn_id"])
    company.delete_list_record("customer", "Acme Dental Group")
    company.delete_list_record("class", "Managed Services")
    clock.advance(hours=23)
    assert deletion_syncs(context) == []  # not yet 24 hours
    clock.advance(hours=1, minutes=1)
    assert deletion_syncs(context) == [UUID(reg.connector_id)]
    ticket = run_session(engine, reg, company)
    requests = [x["request_xml"] for x in engine.get_session(ticket)["exchanges"]]
    assert any("<ListDeletedQueryRq" in r for r in requests)
    assert any("<TxnDeletedQueryRq" in r for r in requests)

    flagged = engine.get_transfer("invoice", DEMO_READY[0], reg.connector_id)
    assert flagged["status"] == "deleted_in_quickbooks"
    assert engine.get_document("invoice", DEMO_READY[0])["status"] == "deleted_in_quickbooks"
    assert statuses(engine, reg, DEMO_READY[1]) == ["succeeded"]  # untouched
    assert history_results(engine, settings, DEMO_READY[0])[-1] == "deleted_in_quickbooks"
    # Deleted records leave the choices; a mapping to one is reported and blocks transfers.
    view = fresh_view(settings, engine, "quickbookslists")
    assert view.find(reg.connector_id, "customers", "Acme Dental Group") is None
    assert view.find(reg.connector_id, "classes", "Managed Services") is None
    view.close()
    caught_up(engine, settings)
    mappings = engine.get_mappings(
        reg.connector_id, directory=engine.directory, catalog=engine.catalog,
        category_name="lines-of-business",
    )["categories"]["lines-of-business"]  # fmt: skip
    assert next(r for r in mappings if r["psa_id"] == "LOB-1")["missing_in_quickbooks"]
    report = engine.check_readiness(
        reg.connector_id, directory=engine.directory, catalog=engine.catalog
    )
    blockers = report["types"]["invoices"]["blockers"]
    assert report["ready"] is False and any("Managed Services" in b for b in blockers), blockers
    engine.clear_mapping(reg.connector_id, "lines-of-business", "LOB-1", by="admin")

    # Never sent again by itself ...
    before = len(invoices_in(company))
    clock.advance(minutes=61)
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(invoices_in(company)) == before
    # ... only when a person says so.
    engine.mark_not_transferred(reg.connector_id, "invoice", DEMO_READY[0], by="tests")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(invoices_in(company)) == before + 1
    assert statuses(engine, reg, DEMO_READY[0]) == ["succeeded"]
    context.close()


def test_an_abandoned_session_expires_frees_its_connector_and_leaves_its_writes_in_doubt(
    shop, clock, tmp_path
):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    # QBWC dies after QuickBooks applied the invoices and never comes back to close.
    ticket = session(engine, reg, company, on_invoices(lambda request, answer: None))
    session_id = engine.get_session_id(ticket)
    assert statuses(engine, reg, *DEMO_READY) == ["sent", "sent"]
    context = jobs(engine, settings, tmp_path)
    assert session_expiry(context) == []  # still within the idle timeout
    clock.advance(minutes=61)
    assert session_expiry(context) == [UUID(session_id)]
    assert session_expiry(context) == []
    assert engine.get_session(session_id)["status"] == "expired"
    assert statuses(engine, reg, *DEMO_READY) == ["in_doubt", "in_doubt"]
    assert "in_doubt" in history_results(engine, settings, DEMO_READY[0])

    # The next session is not told busy, and verifies instead of sending again.
    status = engine.qbwc_authenticate(reg.registration_id, "qbwc-api", API_PASSWORD)[1]
    assert status not in ("busy", "none")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert statuses(engine, reg, *DEMO_READY) == ["verified", "verified"]
    assert len(invoices_in(company)) == 2
    context.close()


def test_a_job_missed_while_nothing_ran_runs_once_at_start_up(shop, clock):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    scheduler = Scheduler(settings, engine, delivery=OutboxDelivery(Path("/nonexistent"), "q@x"))
    scheduler.start()
    try:
        assert scheduler.active.wait(10)
        deadline = time.monotonic() + 10
        while not engine.list_sync_status(reg.connector_id)["deletion_sync_due"]:
            assert time.monotonic() < deadline, "the deletion-sync job did not run at start-up"
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert scheduler.state == "stopped"


def _worker(settings, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "web.cli", "worker"],
        cwd=cwd,
        env=process_env(settings, PYTHONUNBUFFERED="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen, text: str, timeout: float) -> bool:
    """Whether `process` writes a line holding `text` to stderr within `timeout` seconds."""
    import selectors

    selector = selectors.DefaultSelector()
    assert process.stderr is not None
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            line = process.stderr.readline()
            if not line:
                return False
            if text in line:
                return True
        return False
    finally:
        selector.unregister(process.stderr)


def test_two_workers_run_the_scheduler_one_at_a_time_and_the_survivor_takes_over(
    engine, settings, tmp_path
):
    first = _worker(settings, tmp_path)
    try:
        assert _wait_for_line(first, "scheduler active", 30)
        second = _worker(settings, tmp_path)
        try:
            assert _wait_for_line(second, "qbtransfer worker running", 30)
            assert not _wait_for_line(second, "scheduler active", 3)  # standing by
            first.kill()  # no goodbye: the lock goes with the process
            first.wait(10)
            assert _wait_for_line(second, "scheduler active", 15)
        finally:
            second.terminate()
            second.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)

"""Rebuilding a read model while the server runs, on SQLite and PostgreSQL: readers keep the old
complete answer until the new complete one is swapped in, events that arrive meanwhile are in
both, and a rebuild that fails (or is interrupted) leaves the live model as it was."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from engine.aggregates.quickbooks_lists import QuickBooksLists
from projections import quickbooks_lists as lists_projection
from projections.locks import ReadModelLagging, lock_for
from projections.runtime import (
    catch_up,
    open_view,
    read_model_status,
    rebuild,
    running_projections,
)
from projections.writer import ReadModelFailure
from tests.test_read_model_writer import wait_until

PAGES = 40  # list pages of one class each: an event and a row each
NAME = "quickbookslists"


def count(view) -> int:
    return view.query("SELECT COUNT(*) AS n FROM {records}")[0]["n"]


class Pages:
    """Pages of a company file's class list, one record each, saved as QBWC sessions do."""

    def __init__(self, engine) -> None:
        self.engine, self.lists, self.made = engine, QuickBooksLists(uuid4()), 0

    def add(self, pages: int) -> None:
        for _ in range(pages):
            self.made += 1
            record = {
                "list_id": f"80000{self.made:03d}-1",
                "edit_sequence": "1",
                "name": f"Class {self.made}",
                "full_name": f"Class {self.made}",
                "type": "Class",
                "is_active": True,
                "time_modified": "2026-01-01T10:00:00-08:00",
            }
            self.lists.record_page("classes", [record], datetime.now(UTC))
            self.engine.save(self.lists)


def test_readers_see_the_old_complete_model_until_the_new_one_is_swapped_in(
    engine, settings, monkeypatch
):
    pages = Pages(engine)
    pages.add(PAGES)
    monkeypatch.setattr("projections.writer.BATCH", 4)  # many batches, many chances to look
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    with running_projections(settings, engine):
        wait_until(lambda: read_model_status(settings, engine, NAME)["lag"] == 0, "lag")
        reader = open_view(settings, NAME)
        full = count(reader)
        assert full == PAGES
        before = reader.dump()

        def read() -> None:
            try:
                while not stop.is_set():
                    seen.append(count(reader))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=read)
        thread.start()
        positions: list[int] = []

        def progress(position: int) -> None:
            positions.append(position)
            if len(positions) == 3:  # the server goes on meanwhile: one more page
                pages.add(1)
            assert count(reader) in (full, full + 1)  # never the half-built one

        try:
            applied = rebuild(settings, engine, NAME, progress=progress)
        finally:
            stop.set()
            thread.join(30)
        assert not errors, errors
        assert len(positions) > 10
        assert applied >= PAGES + 1
        assert seen and set(seen) <= {full, full + 1}, sorted(set(seen))
        wait_until(lambda: read_model_status(settings, engine, NAME)["lag"] == 0, "lag")
        after = reader.dump()
        assert count(reader) == full + 1
        assert [r for r in after["records"] if r not in before["records"]]  # the new one
        assert all(r in after["records"] for r in before["records"])
        reader.close()
    # The runner carried on from the swapped-in position: nothing applied twice or skipped.
    status = read_model_status(settings, engine, NAME)
    assert status["lag"] == 0 and status["position"] == engine.recorder.max_notification_id()


def test_a_rebuild_that_fails_leaves_the_live_model_as_it_was(engine, settings, monkeypatch):
    Pages(engine).add(5)
    view = open_view(settings, NAME)
    try:
        before = read_model_status(settings, engine, NAME)
        catch_up(engine, view, NAME)
        dump = view.dump()
        real = lists_projection.QuickBooksListsProjection.process_event

        def failing_on_the_third(self, event, tracking):
            if "Class 3" in repr(getattr(event, "records", "")):
                raise RuntimeError("not today")
            return real(self, event, tracking)

        monkeypatch.setattr(
            lists_projection.QuickBooksListsProjection, "process_event", failing_on_the_third
        )
        with pytest.raises(ReadModelFailure, match="not today"):
            rebuild(settings, engine, NAME)
        assert view.dump() == dump  # the live model untouched
        assert read_model_status(settings, engine, NAME)["position"] > before["position"]
        monkeypatch.undo()  # the fix is deployed
        # What the failed rebuild left beside the live tables is dropped by the next one.
        assert rebuild(settings, engine, NAME) >= 5
        assert view.dump() == dump
    finally:
        view.close()


def test_one_rebuild_of_a_read_model_at_a_time(engine, settings):
    held = lock_for(engine, "QuickBooksLists", "rebuild")
    assert held.acquire(timeout=1)
    try:
        with pytest.raises(ReadModelLagging, match="a rebuild of QuickBooksLists"):
            rebuild(settings, engine, NAME)
    finally:
        held.release()
        held.close()
    assert rebuild(settings, engine, "transfers") == 0


def test_the_rebuild_benchmark_runs_in_a_bounded_form(settings, capsys):
    from tests.bench_rebuild import main

    url = settings.database_url
    figures = main(["--events", "3000", "--template", "10", "--baseline", "100"] + (
        ["--database-url", url] if url and url.startswith("postgresql") else []
    ))  # fmt: skip
    assert figures["log_events"] >= 3000 and figures["copies"] >= 1
    assert {"Transfer", "QbwcSession", "Exchange", "QuickBooksLists"} <= set(
        figures["template_mix"]
    )
    assert all(m["applied"] > 0 for m in figures["read_models"].values()), figures
    assert figures["one_event_per_transaction"]["applied"] == 100
    assert '"all_read_models"' in capsys.readouterr().out


def test_the_benchmarks_have_one_entry_point(capsys):
    from tests.bench import BENCHMARKS, main

    assert main(["nope"]) == 2 and "usage: python -m tests.bench NAME" in capsys.readouterr().err
    assert {"handshake", "transfer", "rebuild"} <= set(BENCHMARKS)
    for module, _ in BENCHMARKS.values():
        assert callable(__import__(module, fromlist=["main"]).main)

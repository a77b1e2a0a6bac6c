"""The read models run on eventsourcing's ProjectionRunner too (SQLite by polling), as in
`qbtransfer serve` and `qbtransfer worker`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import uuid4

from engine.aggregates.quickbooks_lists import QuickBooksLists
from projections.runtime import open_view, running_projections


def test_runners_follow_new_events(engine, settings):
    connector_id = uuid4()
    with running_projections(settings) as runners:
        assert {r.projection.name for r in runners} == {"QuickBooksLists", "Sessions", "PsaRecords"}
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
        for runner in runners:
            runner.run_forever(timeout=0)  # no projection error

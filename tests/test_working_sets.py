"""A session's working set: kept between its calls only while nobody else changed what it
holds, and never after a call that did not save everything."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from engine.aggregates.mapping import Mapping

NOW = datetime(2026, 12, 2, tzinfo=UTC)
TARGET = {"list": "classes", "list_id": "80000008-1", "full_name": "Managed Services"}


def saved_mapping(engine) -> Mapping:
    mapping = Mapping(uuid4())
    engine.save(mapping)
    return mapping


def test_what_the_session_itself_saved_is_kept(engine):
    session_id, mapping = uuid4(), saved_mapping(engine)
    working = engine.working_sets.take(session_id)
    working[mapping.id] = mapping
    mapping.set("lines-of-business", "LOB-1", TARGET, "qbwc", NOW)
    engine.save(mapping)
    engine.working_sets.keep(session_id, working)
    again = engine.working_sets.take(session_id)
    assert again[mapping.id] is mapping


def test_what_another_writer_changed_is_dropped_and_the_rest_kept(engine):
    session_id, changed, untouched = uuid4(), saved_mapping(engine), saved_mapping(engine)
    working = engine.working_sets.take(session_id)
    working[changed.id], working[untouched.id] = changed, untouched
    missing = uuid4()
    working[missing] = None  # looked for and not found
    engine.working_sets.keep(session_id, working)
    elsewhere = engine.repository.get(changed.id)  # another process's copy
    elsewhere.set("lines-of-business", "LOB-1", TARGET, "admin", NOW)
    engine.save(elsewhere)
    created = Mapping(uuid4())
    engine.save(created)
    working = engine.working_sets.take(session_id)
    assert changed.id not in working and working[untouched.id] is untouched
    assert missing in working  # nothing was saved under that id
    working[created.id] = None
    engine.working_sets.keep(session_id, working)
    engine.save(_changed(engine, created))
    assert created.id not in engine.working_sets.take(session_id)


def _changed(engine, mapping: Mapping) -> Mapping:
    fresh = engine.repository.get(mapping.id)
    fresh.set("lines-of-business", "LOB-2", TARGET, "admin", NOW)
    return fresh


def test_a_call_that_did_not_save_leaves_nothing(engine):
    session_id, mapping = uuid4(), saved_mapping(engine)
    working = engine.working_sets.take(session_id)
    working[mapping.id] = mapping
    engine.working_sets.keep(session_id, working)
    working = engine.working_sets.take(session_id)
    working[mapping.id].set("lines-of-business", "LOB-1", TARGET, "qbwc", NOW)  # then fails
    assert len(engine.working_sets.take(session_id)) == 0  # a retry starts afresh
    engine.working_sets.keep(session_id, working)  # given back unsaved: refused
    assert len(engine.working_sets.take(session_id)) == 0


def test_a_busy_log_drops_the_set_instead_of_reading_it(engine, monkeypatch):
    monkeypatch.setattr("engine.working_sets.NOTIFICATIONS_CHECKED", 2)
    session_id, mapping = uuid4(), saved_mapping(engine)
    working = engine.working_sets.take(session_id)
    working[mapping.id] = mapping
    engine.working_sets.keep(session_id, working)
    for _ in range(3):
        saved_mapping(engine)
    assert len(engine.working_sets.take(session_id)) == 0


def test_a_closed_session_keeps_nothing(engine):
    session_id, mapping = uuid4(), saved_mapping(engine)
    working = engine.working_sets.take(session_id)
    working[mapping.id] = mapping
    engine.working_sets.keep(session_id, working)
    engine.working_sets.forget(session_id)
    assert engine.working_sets.sizes() == {}

"""Events are contracts: declared classes, picked by class, and readable in every shape they
were ever written in (upcasting by class version)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from engine.aggregates.session import QbwcSession
from engine.list_windows import Window
from engine.steps.lists import ListPass
from engine.steps.pipeline import SessionWork

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
WORK = SessionWork(
    finished=frozenset({0}),
    active={1: ListPass(from_modified=None, windows=(Window("M", None),), windows_asked=1)},
    problems=("accounts: QuickBooks status 3250: no payroll",),
    recorded={"accounts": 3},
)
# What a version 1 session kept for the same moment: the index of its step, the pass's keys
# and the session's problems and stats, in one untyped dict.
CURSOR_V1 = {
    "step": 1,
    "problems": ["accounts: QuickBooks status 3250: no payroll"],
    "stats": {"accounts": 3},
    "from_modified": None,
    "windows": [["M", None]],
    "windows_asked": 1,
    "received": 0,
    "recorded": 0,
    "edges": {},
}


def a_session_sending() -> QbwcSession:
    session = QbwcSession(
        id=uuid4(), registration_id="r", connector_id=uuid4(), username="u", opened_at=NOW
    )
    session.plan(["accounts", "classes"], NOW)
    session.send(uuid4(), "classes", WORK, NOW)
    return session


def rewritten(popo_engine, event, change) -> StoredEvent:
    """`event` as the store holds it, with its state changed by `change`."""
    stored = popo_engine.mapper.to_stored_event(event)
    state = popo_engine.mapper.transcoder.decode(stored.state)
    change(state)
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=popo_engine.mapper.transcoder.encode(state),
    )


def test_a_request_sent_before_the_pipeline_is_read_as_typed_work(popo_engine):
    sent = a_session_sending().collect_events()[-1]
    assert isinstance(sent, QbwcSession.RequestSent)

    def to_v1(state):
        assert state.pop("class_version") == 2
        state.pop("work")
        state["step"] = state.pop("purpose")
        state["cursor"] = CURSOR_V1

    old = popo_engine.mapper.to_domain_event(rewritten(popo_engine, sent, to_v1))
    assert isinstance(old, QbwcSession.RequestSent)
    assert old.purpose == "classes" and old.work == WORK
    assert not hasattr(old, "cursor")


def test_a_response_received_before_the_pipeline_is_read_as_typed_work(popo_engine):
    session = a_session_sending()
    session.receive(uuid4(), WORK, 50, "digest", NOW)
    received = session.collect_events()[-1]

    def to_v1(state):
        state.pop("class_version")
        state.pop("work")
        state["cursor"] = CURSOR_V1

    old = popo_engine.mapper.to_domain_event(rewritten(popo_engine, received, to_v1))
    assert old.work == WORK and old.progress == 50


def test_a_snapshot_taken_before_the_pipeline_is_read_as_typed_work(popo_engine):
    snapshot = QbwcSession.Snapshot.take(a_session_sending())

    def to_v1(snapshot_state):
        state = snapshot_state["state"]  # the aggregate's own attributes
        assert state.pop("class_version") == 2
        state.pop("work"), state.pop("purpose")
        state["cursor"] = CURSOR_V1

    old = popo_engine.mapper.to_domain_event(rewritten(popo_engine, snapshot, to_v1))
    session = old.mutate(None)
    assert session.work == WORK and session.purpose == "classes"


def test_the_work_is_stored_as_its_own_versioned_json(popo_engine):
    sent = a_session_sending().collect_events()[-1]
    stored = popo_engine.mapper.to_stored_event(sent)
    encoded = json.loads(stored.state)
    assert encoded["class_version"] == 2
    work = encoded["work"]["_data_"]
    assert work["v"] == 1 and work["active"][0][1]["kind"] == "list_pass"
    assert popo_engine.mapper.to_domain_event(stored).work == WORK


def test_events_are_declared_classes_picked_by_class():
    """No event class is generated from a method's signature (`@event("Name")`), and nothing
    picks events by the name of their type."""
    generated, by_name = [], []
    for path in [
        *ROOT.glob("engine/**/*.py"),
        *ROOT.glob("projections/*.py"),
        *ROOT.glob("web/**/*.py"),
    ]:
        text = path.read_text()
        if re.search(r"@event\(\s*['\"]", text):
            generated.append(path.name)
        if re.search(r"type\(\w+\)\.__name__\s*(==|in)", text):
            by_name.append(path.name)
    assert generated == [] and by_name == []

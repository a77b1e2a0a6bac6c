"""Where the project still leans on a private eventsourcing API, fail loudly if it changes."""

from __future__ import annotations

import inspect

from eventsourcing.application import Application

from engine.application import TransferEngine


def test_take_snapshots_is_still_the_hook_save_calls():
    # TransferEngine snapshots from memory by overriding this private method (9.5.x).
    assert hasattr(Application, "_take_snapshots")
    parameters = list(inspect.signature(Application._take_snapshots).parameters)
    assert parameters == ["self", "processing_event"]
    callers = [
        name
        for name, member in inspect.getmembers(Application, inspect.isfunction)
        if name != "_take_snapshots" and "self._take_snapshots(" in inspect.getsource(member)
    ]
    assert callers, "eventsourcing no longer calls Application._take_snapshots"
    assert TransferEngine._take_snapshots is not Application._take_snapshots


def test_insert_tracking_still_writes_a_position_inside_the_callers_transaction():
    # A read model writes its rows and its tracking position in one transaction
    # (projections/base.py ReadModelView.write); the public insert_tracking() opens its own.
    from eventsourcing.postgres import PostgresTrackingRecorder
    from eventsourcing.sqlite import SQLiteTrackingRecorder

    for recorder in (SQLiteTrackingRecorder, PostgresTrackingRecorder):
        parameters = list(inspect.signature(recorder._insert_tracking).parameters)
        assert len(parameters) == 3 and parameters[-1] == "tracking", recorder

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

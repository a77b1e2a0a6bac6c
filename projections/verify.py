"""`audit verify`: every read model rebuilt in memory from the event log and compared, row by
row, with the stored one, while the server runs.

The stored model is read in one transaction (its rows and the position they reflect), and the
in-memory copy is built up to exactly that position, so a runner writing meanwhile causes no
false difference. The copy is an SQLite database in memory, whatever the store: the read
models' SQL is the same on both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any
from uuid import uuid4

from engine.application import TransferEngine
from engine.settings import Settings
from projections.runtime import READ_MODELS, open_model_view, open_view
from projections.writer import apply_pending


@dataclass(frozen=True)
class Difference:
    """One row that differs between a stored read model and its rebuild from the log."""

    read_model: str
    table: str
    key: dict[str, Any]
    stored: dict[str, Any] | None  # None: the stored model lacks the row
    rebuilt: dict[str, Any] | None  # None: the log does not account for the stored row

    def as_dict(self) -> dict[str, Any]:
        """For --json."""
        return asdict(self)


@dataclass(frozen=True)
class Verified:
    """What verifying one read model found."""

    read_model: str
    position: int
    rows: int
    differences: list[Difference]


def verify(
    settings: Settings, engine: TransferEngine, names: Iterable[str] | None = None
) -> list[Verified]:
    """Compare each read model (every one by default) with its rebuild from the log."""
    return [_verify(settings, engine, name) for name in (names or READ_MODELS)]


def _verify(settings: Settings, engine: TransferEngine, name: str) -> Verified:
    model = READ_MODELS[name.lower()]
    stored_view = open_view(settings, name)
    try:
        position, stored = stored_view.snapshot(engine.name)
    finally:
        stored_view.close()
    memory = _in_memory(model)
    try:
        if position:
            apply_pending(engine, memory, model, stop=position)
        rebuilt = memory.dump()
        differences = [
            difference
            for table in memory.TABLES
            for difference in _compare(
                model.name, table, memory.primary_key(table), stored[table], rebuilt[table]
            )
        ]
    finally:
        memory.close()
    rows = sum(len(r) for r in stored.values())
    return Verified(model.name, position, rows, differences)


def _in_memory(model: Any) -> Any:
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": f"file:qbtransfer-verify-{uuid4().hex}?mode=memory&cache=shared",
    }
    return open_model_view(model, env)


def _compare(
    read_model: str,
    table: str,
    key_columns: tuple[str, ...],
    stored: list[dict[str, Any]],
    rebuilt: list[dict[str, Any]],
) -> list[Difference]:
    def keyed(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        out: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for row in rows:
            out.setdefault(tuple(row.get(c) for c in key_columns), []).append(row)
        return out

    mine, theirs = keyed(stored), keyed(rebuilt)
    differences = []
    for key in sorted(mine.keys() | theirs.keys(), key=repr):
        left, right = mine.get(key, []), theirs.get(key, [])
        # Rows without a primary key are keyed by all their columns: duplicates count.
        for index in range(max(len(left), len(right))):
            a = left[index] if index < len(left) else None
            b = right[index] if index < len(right) else None
            if a != b:
                named = dict(zip(key_columns, key, strict=True))
                differences.append(Difference(read_model, table, named, a, b))
    return differences

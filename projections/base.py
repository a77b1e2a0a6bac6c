"""What every read model shares: SQL tables kept by an eventsourcing tracking recorder, written
together with the tracking position in one transaction (so each event counts exactly once),
on SQLite or PostgreSQL with the same statements.

A read model declares its tables and writes with `?` placeholders; the PostgreSQL flavour
(`projections/postgres.py`, imported only on PostgreSQL, so the embedded default never loads
the driver) rewrites them to `%s` and prefixes table names with the projection's name in the
configured schema. On SQLite each read model lives in a file of its own.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder, SQLiteTransaction

from engine.settings import is_postgres

Statement = tuple[str, Sequence[Any] | Iterable[Sequence[Any]], bool]  # sql, params, many

# A rebuild writes a shadow of the model's tables (`<table>__next`) and position (its own
# tracking row) beside the live ones, then swaps it in.
SHADOW = "__next"
REBUILDING = "~rebuild"


# Every read model also keeps its runner's last reported state (projections/writer.py).
CONTROL_TABLES = {
    "runner_status": "name TEXT PRIMARY KEY, state TEXT NOT NULL, event_id BIGINT, topic TEXT, "
    "error TEXT, restarts INTEGER NOT NULL DEFAULT 0, at TEXT NOT NULL"
}


class ReadModelView(TrackingRecorder):
    """Tables plus a tracking position; subclasses add the model's own writes and queries."""

    TABLES: ClassVar[dict[str, str]] = {}  # table -> column definitions (portable SQL)
    INDEXES: ClassVar[dict[str, str]] = {}  # index name -> "table (columns)"
    # What the concrete recorder (SQLite's or PostgreSQL's) it is mixed with provides.
    datastore: Any
    shadow: ClassVar[bool] = False  # a rebuild's copy of the tables, beside the live ones
    # A batch belongs to the thread that opened it: readers of the same view in other threads
    # keep reading committed rows through connections of their own.
    _batches: threading.local

    def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None:
        raise NotImplementedError

    def _open_batch(self, pipelined: bool = False) -> Any:
        """A context manager giving the cursor of a write transaction (its statements
        pipelined, where the database can, with `pipelined`)."""
        return self.datastore.transaction(commit=True)

    @contextlib.contextmanager
    def batch(self, pipelined: bool = True) -> Iterator[None]:
        """Apply many events in one transaction: every `write` and `query` of this thread goes
        through it, and the tracking position is recorded once, the last one given, when the
        block ends (nothing at all is recorded if it raises). Without `pipelined`, each
        statement waits for its answer (the careful way, after a batch failed)."""
        if not hasattr(self, "_batches"):
            self._batches = threading.local()
        if getattr(self._batches, "cursor", None) is not None:
            raise RuntimeError("a batch is already open in this thread")
        with self._open_batch(pipelined) as cursor:
            self._batches.cursor, self._batches.tracking = cursor, None
            try:
                yield
                if self._batches.tracking is not None:
                    with self._reader(cursor) as reader:
                        self._insert_tracking(reader, self._batches.tracking)
            finally:
                self._batches.cursor = self._batches.tracking = None

    def _reader(self, cursor: Any) -> Any:
        """A context manager giving the cursor to run a statement whose rows are read, in the
        batch whose cursor is `cursor`."""
        return contextlib.nullcontext(cursor)

    def _batch_cursor(self) -> Any:
        batches = getattr(self, "_batches", None)
        return getattr(batches, "cursor", None) if batches is not None else None

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position for an event the model ignores (inside the batch when one is
        open)."""
        self.write(tracking)

    @classmethod
    def all_tables(cls) -> dict[str, str]:
        """The model's tables and the control tables every read model has."""
        return {**cls.TABLES, **CONTROL_TABLES}

    def record_runner_status(
        self,
        name: str,
        state: str,
        event_id: int | None,
        topic: str | None,
        error: str | None,
        restarts: int,
        at: str,
    ) -> None:
        """What the runner last reported (written by the runner only)."""
        self.write(
            None,
            (
                "INSERT INTO {runner_status} (name, state, event_id, topic, error, restarts, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "state = excluded.state, event_id = excluded.event_id, topic = excluded.topic, "
                "error = excluded.error, restarts = excluded.restarts, at = excluded.at",
                (name, state, event_id, topic, error, restarts, at),
                False,
            ),
        )

    def runner_status(self, name: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM {runner_status} WHERE name = ?", (name,))
        return rows[0] if rows else None

    def analyze(self) -> None:
        """Refresh the planner's statistics of the model's tables (after a bulk load)."""
        self.write(None, *[(f"ANALYZE {{{table}}}", (), False) for table in self.TABLES])

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of the model's own tables, in a stable order (to compare with a rebuild)."""
        with self._read_snapshot() as cursor:
            return self._rows(cursor)

    def snapshot(self, application_name: str) -> tuple[int, dict[str, list[dict[str, Any]]]]:
        """The position reached in `application_name`'s log and every row of the model's own
        tables, read in one transaction: consistent with each other while the runner goes on
        writing."""
        with self._read_snapshot() as cursor:
            position = self._max_tracking_id(self.position_name(application_name), cursor)
            return position or 0, self._rows(cursor)

    def _rows(self, cursor: Any) -> dict[str, list[dict[str, Any]]]:
        out = {}
        for table in self.TABLES:
            cursor.execute(self._sql(f"SELECT * FROM {{{table}}}"))
            rows = [dict(row) for row in cursor.fetchall()]
            out[table] = sorted(rows, key=lambda r: repr(sorted(r.items())))
        return out

    def _read_snapshot(self) -> Any:
        """A read-only transaction whose reads all see one state of the database."""
        return self.datastore.transaction(commit=False)  # SQLite: deferred, one WAL snapshot

    def _max_tracking_id(self, application_name: str, cursor: Any) -> int | None:
        raise NotImplementedError

    def primary_key(self, table: str) -> tuple[str, ...]:
        """The columns that name a row of `table` (all of them when it has no primary key)."""
        definition = self.TABLES[table]
        compound = re.search(r"PRIMARY KEY \(([^)]*)\)", definition)
        if compound:
            return tuple(c.strip() for c in compound.group(1).split(","))
        columns = [c.strip() for c in definition.split(",")]
        for column in columns:
            if "PRIMARY KEY" in column:
                return (column.split()[0],)
        return tuple(c.split()[0] for c in columns)

    def table(self, name: str) -> str:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        """Portable SQL with {table} names and ? placeholders, in this database's dialect
        (translated once per statement text: a rebuild runs the same few thousands of times)."""
        cache: dict[str, str] | None = getattr(self, "_sql_cache", None)
        if cache is None:
            cache = {}
            self._sql_cache: dict[str, str] = cache
        if text not in cache:
            cache[text] = self._dialect(
                text.format(**{t: self.table(t) for t in self.all_tables()})
            )
        return cache[text]

    def _dialect(self, sql: str) -> str:
        return sql

    def write(self, tracking: Tracking | None, *statements: Statement) -> None:
        """Run `statements` and record `tracking`, all in one transaction (the open batch's,
        when there is one: its tracking is then recorded when it ends)."""
        cursor = self._batch_cursor()
        if cursor is not None:
            self._execute(cursor, statements)
            if tracking is not None:
                self._batches.tracking = tracking
            return
        with self.datastore.transaction(commit=True) as cursor:
            self._execute(cursor, statements)
            if tracking is not None:
                self._insert_tracking(cursor, tracking)

    def _execute(self, cursor: Any, statements: Sequence[Statement]) -> None:
        for sql, params, many in statements:
            if many:
                rows = list(params)
                if rows:
                    cursor.executemany(self._sql(sql), rows)
            else:
                cursor.execute(self._sql(sql), params)

    def set_columns(self, tracking: Tracking, table: str, row_id: str, **columns: Any) -> None:
        """Set `columns` of the row of `table` whose `id` is `row_id`, with `tracking`."""
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.write(
            tracking,
            (
                f"UPDATE {{{table}}} SET {assignments} WHERE id = ?",
                (*columns.values(), row_id),
                False,
            ),
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts (seeing the open batch's own writes, when there is one)."""
        cursor = self._batch_cursor()
        if cursor is not None:
            with self._reader(cursor) as reader:
                reader.execute(self._sql(sql), params)
                return [dict(row) for row in reader.fetchall()]
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._sql(sql), params)
            return [dict(row) for row in cursor.fetchall()]

    def clear(self, application_name: str) -> None:
        """Empty every table and forget the position, for a rebuild from zero. Only this
        application's tracking row goes: the `__migration__` marker row must stay."""
        statements: list[Statement] = [(f"DELETE FROM {{{t}}}", (), False) for t in self.TABLES]
        statements.append(self._forget_position(application_name))
        self.write(None, *statements)

    def _forget_position(self, application_name: str) -> Statement:
        return (
            f"DELETE FROM {self.tracking_table()} WHERE application_name = ?",
            (self.position_name(application_name),),
            False,
        )

    def tracking_table(self) -> str:
        raise NotImplementedError

    # -- rebuilding beside the live tables ---------------------------------------------------

    def position_name(self, application_name: str) -> str:
        """The tracking row this view records its position in: a shadow keeps its own."""
        return f"{application_name}{REBUILDING}" if self.shadow else application_name

    def stored_name(self, name: str) -> str:
        """The bare name table `name` is stored under (a shadow's own tables have a suffix;
        the control tables are shared with the live model)."""
        return f"{name}{SHADOW}" if self.shadow and name in self.TABLES else name

    def start_over(self, application_name: str) -> None:
        """A shadow's tables empty and its position zero: what an interrupted rebuild left is
        dropped, not continued (the code may have changed since)."""
        assert self.shadow, "only a shadow starts over"
        statements: list[Statement] = [
            (f"DROP TABLE IF EXISTS {{{t}}}", (), False) for t in self.TABLES
        ]
        statements.append(self._forget_position(application_name))
        statements += [(sql, (), False) for sql in self._create_statements()]
        self._transact(statements)

    def swap_in(self, application_name: str) -> None:
        """Replace the live tables and position with this shadow's, in one transaction: a
        reader sees the old complete model or the new complete one, never a mix. The caller
        holds the writer lock."""
        assert self.shadow, "only a shadow is swapped in"
        live, mine = application_name, self.position_name(application_name)
        statements = self._swap_statements()
        statements += [
            (f"DELETE FROM {self.tracking_table()} WHERE application_name = ?", (live,), False),
            (
                f"UPDATE {self.tracking_table()} SET application_name = ? "
                "WHERE application_name = ?",
                (live, mine),
                False,
            ),
        ]
        self._transact(statements)

    def _swap_statements(self) -> list[Statement]:
        raise NotImplementedError

    def _transact(self, statements: list[Statement]) -> None:
        with self._open_batch() as cursor:
            for sql, params, _many in statements:
                cursor.execute(self._sql(sql), params)

    def close(self) -> None:
        """Close the view's connections (read models opened for one command)."""
        self.datastore.close()

    def _create_statements(self) -> list[str]:
        tables = [
            f"CREATE TABLE IF NOT EXISTS {self.table(name)} ({columns})"
            for name, columns in self.all_tables().items()
        ]
        indexes = []
        for index, target in self.INDEXES.items():
            table, columns = target.split(" ", 1)
            indexes.append(
                f"CREATE INDEX IF NOT EXISTS {self._index_name(index)} ON "
                f"{self.table(table)} {columns}"
            )
        return tables + indexes

    def _index_name(self, index: str) -> str:
        return f"{index}{SHADOW}" if self.shadow else index


def concrete_view(
    view: type[ReadModelView], env: Mapping[str, str], *, shadow: bool = False
) -> type:
    """The read model `view` on the database the eventsourcing environment `env` configures
    (its rebuild's shadow, with `shadow`)."""
    if is_postgres(env):
        from projections.postgres import PostgresReadModel

        base: type = PostgresReadModel
        prefix = "Postgres"
    else:
        base, prefix = SQLiteReadModel, "SQLite"
    return _concrete(view, base, prefix, shadow)


_CONCRETE: dict[tuple[type, type, bool], type] = {}


def _concrete(view: type, base: type, prefix: str, shadow: bool) -> type:
    key = (view, base, shadow)
    if key not in _CONCRETE:
        name = f"{prefix}{view.__name__}{'Shadow' if shadow else ''}"
        _CONCRETE[key] = type(name, (base, view), {"shadow": shadow})
    return _CONCRETE[key]


class _ImmediateTransaction(SQLiteTransaction):
    """The library's transaction (and its error translation), begun IMMEDIATE: a batch reads
    before it writes, and a deferred transaction that reads first cannot take the write lock
    once another connection wrote (it fails at once instead of waiting its busy timeout)."""

    def __enter__(self) -> Any:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class SQLiteReadModel(SQLiteTrackingRecorder, ReadModelView):
    """A read model in its own SQLite file."""

    def insert_tracking(self, tracking: Tracking) -> None:
        ReadModelView.insert_tracking(self, tracking)

    @contextlib.contextmanager
    def _open_batch(self, pipelined: bool = False) -> Iterator[Any]:
        with (
            self.datastore.get_connection(commit=True) as connection,
            _ImmediateTransaction(connection, commit=True) as cursor,
            cursor as raw,
        ):
            yield raw

    def table(self, name: str) -> str:
        return self.stored_name(name)

    def tracking_table(self) -> str:
        return "tracking"

    def _swap_statements(self) -> list[Statement]:
        # SQLite cannot rename an index: the shadow's go with it and the live names are
        # created again on the swapped-in tables (readers in WAL mode are not held up).
        statements: list[Statement] = []
        for name in self.TABLES:
            statements.append((f"DROP TABLE IF EXISTS {name}", (), False))
            statements.append((f"ALTER TABLE {self.table(name)} RENAME TO {name}", (), False))
        for index, target in self.INDEXES.items():
            table, columns = target.split(" ", 1)
            statements.append((f"DROP INDEX IF EXISTS {self._index_name(index)}", (), False))
            statements.append((f"CREATE INDEX {index} ON {table} {columns}", (), False))
        return statements

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + self._create_statements()

"""What every read model shares: SQL tables kept by an eventsourcing tracking recorder, written
together with the tracking position in one transaction (so each event counts exactly once),
on SQLite or PostgreSQL with the same statements.

A read model declares its tables and writes with `?` placeholders; the PostgreSQL flavour
(`projections/postgres.py`, imported only on PostgreSQL, so the embedded default never loads
the driver) rewrites them to `%s` and prefixes table names with the projection's name in the
configured schema. On SQLite each read model lives in a file of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

Statement = tuple[str, Sequence[Any] | Iterable[Sequence[Any]], bool]  # sql, params, many


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

    def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None:
        raise NotImplementedError

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
        out = {}
        for table in self.TABLES:
            rows = self.query(f"SELECT * FROM {{{table}}}")
            out[table] = sorted(rows, key=lambda r: repr(sorted(r.items())))
        return out

    def table(self, name: str) -> str:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        """Portable SQL with {table} names and ? placeholders, in this database's dialect."""
        raise NotImplementedError

    def write(self, tracking: Tracking | None, *statements: Statement) -> None:
        """Run `statements` and record `tracking`, all in one transaction."""
        with self.datastore.transaction(commit=True) as cursor:
            for sql, params, many in statements:
                if many:
                    rows = list(params)
                    if rows:
                        cursor.executemany(self._sql(sql), rows)
                else:
                    cursor.execute(self._sql(sql), params)
            if tracking is not None:
                self._insert_tracking(cursor, tracking)

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
        """Rows as dicts."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._sql(sql), params)
            return [dict(row) for row in cursor.fetchall()]

    def clear(self, application_name: str) -> None:
        """Empty every table and forget the position, for a rebuild from zero. Only this
        application's tracking row goes: the `__migration__` marker row must stay."""
        statements: list[Statement] = [(f"DELETE FROM {{{t}}}", (), False) for t in self.TABLES]
        statements.append(
            (
                f"DELETE FROM {self.tracking_table()} WHERE application_name = ?",
                (application_name,),
                False,
            )
        )
        self.write(None, *statements)

    def tracking_table(self) -> str:
        raise NotImplementedError

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
        return index


def concrete_view(view: type[ReadModelView], persistence_module: str) -> type:
    """The read model `view` on the database `persistence_module` names."""
    if persistence_module == "eventsourcing.postgres":
        from projections.postgres import PostgresReadModel

        base: type = PostgresReadModel
        prefix = "Postgres"
    else:
        base, prefix = SQLiteReadModel, "SQLite"
    return _concrete(view, base, prefix)


_CONCRETE: dict[tuple[type, type], type] = {}


def _concrete(view: type, base: type, prefix: str) -> type:
    key = (view, base)
    if key not in _CONCRETE:
        _CONCRETE[key] = type(f"{prefix}{view.__name__}", (base, view), {})
    return _CONCRETE[key]


class SQLiteReadModel(SQLiteTrackingRecorder, ReadModelView):
    """A read model in its own SQLite file."""

    def table(self, name: str) -> str:
        return name

    def tracking_table(self) -> str:
        return "tracking"

    def _sql(self, text: str) -> str:
        return text.format(**{t: t for t in self.all_tables()})

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + self._create_statements()

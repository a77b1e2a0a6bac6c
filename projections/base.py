"""What every read model shares: SQL tables kept by an eventsourcing tracking recorder, written
together with the tracking position in one transaction (so each event counts exactly once),
on SQLite or PostgreSQL with the same statements.

A read model declares its tables and writes with `?` placeholders; the PostgreSQL flavour
rewrites them to `%s` and prefixes table names with the projection's name in the configured
schema. On SQLite each read model lives in a file of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

Statement = tuple[str, Sequence[Any] | Iterable[Sequence[Any]], bool]  # sql, params, many


class ReadModelView(TrackingRecorder):
    """Tables plus a tracking position; subclasses add the model's own writes and queries."""

    TABLES: ClassVar[dict[str, str]] = {}  # table -> column definitions (portable SQL)
    INDEXES: ClassVar[dict[str, str]] = {}  # index name -> "table (columns)"

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
            for name, columns in self.TABLES.items()
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


class SQLiteReadModel(SQLiteTrackingRecorder, ReadModelView):
    """A read model in its own SQLite file."""

    def table(self, name: str) -> str:
        return name

    def tracking_table(self) -> str:
        return "tracking"

    def _sql(self, text: str) -> str:
        return text.format(**{t: t for t in self.TABLES})

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + self._create_statements()


class PostgresReadModel(PostgresTrackingRecorder, ReadModelView):
    """A read model in PostgreSQL: `<projection>_<table>` in the event store's schema."""

    def __init__(self, datastore: Any, *, tracking_table_name: str, **kwargs: Any) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        self.prefix = tracking_table_name.removesuffix("_tracking")
        for name in self.TABLES:
            self.check_identifier_length(f"{self.prefix}_{name}")
        # The library's create_table() wants psycopg SQL objects, not plain strings.
        self.sql_create_statements.extend(SQL(s) for s in self._create_statements())

    def table(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{self.prefix}_{name}"'

    def tracking_table(self) -> str:
        return f'"{self.datastore.schema}"."{self.tracking_table_name}"'

    def _index_name(self, index: str) -> str:
        return f"{self.prefix}_{index}"

    def _sql(self, text: str) -> str:
        # Placeholders only appear outside quotes in our statements.
        return re.sub(r"\?", "%s", text.format(**{t: self.table(t) for t in self.TABLES}))

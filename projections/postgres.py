"""Read models on PostgreSQL: `<projection>_<table>` in the event store's schema. Imported
only when the store is PostgreSQL."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Composed

from engine.postgres_store import serialized
from projections.base import SHADOW, ReadModelView, Statement


class PostgresReadModel(PostgresTrackingRecorder, ReadModelView):
    """A read model in PostgreSQL: `<projection>_<table>` in the event store's schema."""

    def __init__(self, datastore: Any, *, tracking_table_name: str, **kwargs: Any) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        self.prefix = tracking_table_name.removesuffix("_tracking")
        for name in self.all_tables():
            self.check_identifier_length(f"{self.prefix}_{name}{SHADOW}_pkey")
        # The library's create_table() wants psycopg SQL objects, not plain strings.
        self.sql_create_statements.extend(Composed([SQL(s)]) for s in self._create_statements())
        # A status page may open a read model while its runner creates it (engine.postgres_store).
        self.sql_create_statements[:] = serialized(self.sql_create_statements, datastore.schema)

    def insert_tracking(self, tracking: Tracking) -> None:
        ReadModelView.insert_tracking(self, tracking)

    @contextlib.contextmanager
    def _open_batch(self, pipelined: bool = False) -> Iterator[Any]:
        # Pipeline mode sends a batch's statements without waiting for each one's answer
        # (a query that needs its rows waits, as it must): round trips, not the server's work,
        # are what one statement at a time costs.
        with self.datastore.transaction(commit=True) as cursor:
            if not pipelined:
                yield cursor
                return
            with cursor.connection.pipeline():
                yield cursor

    def _reader(self, cursor: Any) -> Any:
        # In pipeline mode a cursor's results are those of every statement it ran since they
        # were last fetched (an executemany leaves one per row): a statement whose rows are
        # read gets a cursor of its own, on the batch's connection and transaction.
        return cursor.connection.cursor()

    @contextlib.contextmanager
    def _read_snapshot(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield cursor

    def table(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{self.bare(name)}"'

    def bare(self, name: str) -> str:
        """Table `name` as stored, without the schema."""
        return f"{self.prefix}_{self.stored_name(name)}"

    def tracking_table(self) -> str:
        return f'"{self.datastore.schema}"."{self.tracking_table_name}"'

    def _index_name(self, index: str) -> str:
        return f"{self.prefix}_{index}{SHADOW if self.shadow else ''}"

    def _dialect(self, sql: str) -> str:
        # Placeholders only appear outside quotes in our statements.
        return re.sub(r"\?", "%s", sql)

    def _swap_statements(self) -> list[Statement]:
        # Renames only, so the swap is quick: readers wait for it (DROP TABLE takes an
        # exclusive lock), and prepared statements are re-planned against the new tables.
        # The shadow's primary keys and indexes get the live names, so the next shadow's
        # names are free again.
        schema = self.datastore.schema
        statements: list[Statement] = []
        for name in self.TABLES:
            live = f"{self.prefix}_{name}"
            statements.append((f'DROP TABLE IF EXISTS "{schema}"."{live}"', (), False))
            statements.append((f'ALTER TABLE {self.table(name)} RENAME TO "{live}"', (), False))
            if "PRIMARY KEY" in self.TABLES[name]:
                statements.append(
                    (
                        f'ALTER INDEX IF EXISTS "{schema}"."{self.bare(name)}_pkey" '
                        f'RENAME TO "{live}_pkey"',
                        (),
                        False,
                    )
                )
        for index in self.INDEXES:
            statements.append(
                (
                    f'ALTER INDEX "{schema}"."{self._index_name(index)}" '
                    f'RENAME TO "{self.prefix}_{index}"',
                    (),
                    False,
                )
            )
        return statements

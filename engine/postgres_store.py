"""The event store and read models on PostgreSQL: their tables created one process at a time.
Imported only when the store is PostgreSQL (engine.settings names the factory's topic).

PostgreSQL's `CREATE ... IF NOT EXISTS` is not safe when two sessions run it at once: both
find nothing, both create, and the later one fails on the catalog's unique index ("type ...
already exists", a duplicate key in pg_type) instead of finding the table. Gunicorn's workers
booting on a new schema, or a status page opening a read model while its runner creates it,
do exactly that. Every statement that creates the store's or a read model's tables, types,
indexes or functions therefore first takes one advisory lock per schema, held until its
transaction ends: the later session waits, then finds everything there.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from psycopg.sql import SQL, Composed, Literal

DDL_LOCK_CLASS = 0x71627478  # "qbtx": the first key of pg_advisory_xact_lock(int, int)


def ddl_lock(schema: str) -> Composed:
    """The statement that takes `schema`'s table-creation lock until its transaction ends."""
    return SQL("SELECT pg_advisory_xact_lock({}, hashtext({}))").format(
        Literal(DDL_LOCK_CLASS), Literal(schema)
    )


def serialized(statements: list[Composed], schema: str) -> list[Composed]:
    """`statements`, each one run under `schema`'s table-creation lock.

    The library runs a `CREATE TYPE` in a transaction of its own and the rest in one: prefixing
    every statement covers both (the lock is re-entrant within a transaction). A statement
    without parameters may hold several commands, so the prefix is part of each statement."""
    lock = ddl_lock(schema)
    return [Composed([lock, SQL("; "), statement]) for statement in statements]


class SerializedAggregateRecorder(PostgresAggregateRecorder):
    """The library's recorder of snapshots, its table created under the schema's lock."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements[:] = serialized(self.sql_create_statements, datastore.schema)


class SerializedApplicationRecorder(PostgresApplicationRecorder):
    """The library's event store recorder, its tables created under the schema's lock."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements[:] = serialized(self.sql_create_statements, datastore.schema)


class SerializedPostgresFactory(PostgresFactory):
    """The library's PostgreSQL persistence, creating tables under the schema's lock (the read
    models' recorders do it themselves: projections.postgres)."""

    aggregate_recorder_class = SerializedAggregateRecorder
    application_recorder_class = SerializedApplicationRecorder

"""On PostgreSQL, processes that create the store at once: gunicorn's workers booting on a new
schema, a status page opening a read model while its runner creates it (engine.postgres_store).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest

from engine.postgres_store import DDL_LOCK_CLASS
from engine.settings import Settings
from projections.runtime import READ_MODELS, open_view
from tests.conftest import POSTGRES_URL, postgres_or_skip
from tests.helpers import fresh_schema
from tests.test_read_model_writer import wait_until
from web.bootstrap import bootstrap


@pytest.fixture
def new_store(tmp_path) -> Iterator[Settings]:
    """Settings for a store whose schema does not exist yet (dropped afterwards)."""
    postgres_or_skip()
    with fresh_schema(POSTGRES_URL, create=False) as url:
        yield Settings(
            database_url=f"{url}&pool_size=1&max_overflow=2",
            public_url="https://qb.example.com",
            base_dir=tmp_path,
        )


def _store(settings: Settings) -> list[Callable[[], None]]:
    """What gunicorn's workers do when they boot: create the schema and the event store."""

    def store() -> None:
        bootstrap(settings).close()

    return [store] * 4


def _read_models(settings: Settings) -> list[Callable[[], None]]:
    """What a runner, a status page and a rebuild do: create each read model, and a rebuild's
    shadow copy of one."""

    def model(name: str, shadow: bool = False) -> Callable[[], None]:
        return lambda: open_view(settings, name, shadow=shadow).close()

    openers = [model(name) for name in READ_MODELS for _ in range(2)]
    return openers + [model("transfers", shadow=True)] * 2


def _run_together(openers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(openers))

    def run(opener: Callable[[], None]) -> None:
        try:
            start.wait()
            opener()
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(opener,)) for opener in openers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_the_store_and_every_read_model_are_created_by_many_processes_at_once(new_store):
    settings = new_store
    assert _run_together(_store(settings)) == []
    assert _run_together(_read_models(settings)) == []
    engine = bootstrap(settings)
    try:
        assert not engine.recorder.max_notification_id()
    finally:
        engine.close()
    # And again, on tables that exist.
    assert _run_together(_store(settings) + _read_models(settings)) == []


def test_creating_tables_waits_for_the_schemas_lock_and_then_finds_them(new_store):
    settings = new_store
    schema = settings.eventstore_env()["POSTGRES_SCHEMA"]
    openers = _store(settings) + _read_models(settings)
    holder = psycopg.connect(POSTGRES_URL.split("?", 1)[0], autocommit=True)
    lock = [DDL_LOCK_CLASS, schema]
    try:
        # The schema, and nothing in it: whichever opener gets the lock first finds it.
        holder.execute(f'CREATE SCHEMA "{schema}"')
        holder.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", lock)
        done: list[list[BaseException]] = []
        runner = threading.Thread(target=lambda: done.append(_run_together(openers)))
        runner.start()

        def waiting() -> int:
            row = holder.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = %s::oid",
                [DDL_LOCK_CLASS],
            ).fetchone()
            return row[0] if row else 0

        # Every one of them, making sure of the schema, creating the store's tables or a read
        # model's, waits for the lock.
        wait_until(lambda: waiting() == len(openers), "every opener waiting for the lock")
        assert not done
        holder.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", lock)
        runner.join(120)
        assert done == [[]]
    finally:
        holder.close()

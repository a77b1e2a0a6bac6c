"""The composition root: the one place that builds the engine, with its settings and the read
models it is handed as ports. The web app, the command line and the worker all start here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from engine.application import TransferEngine
from engine.commanding import utcnow
from engine.settings import Settings, is_postgres
from projections.ports import ListsDirectory, PsaRecordsCatalog, TransfersQueue
from web.database import prepare_postgres


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    announce: Callable[[], None] | None = None,
) -> TransferEngine:
    """The engine on the configured event store, its ports wired to the read models (opened on
    first use, closed with the engine). `announce` is called when opening it created a new,
    empty store (a command run from the wrong folder, a mistyped DATABASE_URL)."""
    settings = settings or Settings.from_env()
    env = settings.eventstore_env()
    existed = prepare_postgres(env) if is_postgres(env) else Path(env["SQLITE_DBNAME"]).exists()
    ports = ListsDirectory(settings), PsaRecordsCatalog(settings), TransfersQueue(settings)
    engine = TransferEngine(
        env=env,
        clock=clock,
        directory=ports[0],
        catalog=ports[1],
        queue=ports[2],
    )
    for port in ports:
        port.follow(engine)
    if not existed and announce is not None:
        announce()
    return engine

"""The composition root: the one place that builds the engine, with its settings and the read
models it is handed as ports. The web app, the command line and the worker all start here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engine.application import TransferEngine
from engine.commanding import utcnow
from engine.settings import Settings
from projections.ports import ListsDirectory, PsaRecordsCatalog, TransfersQueue
from web.database import prepare_postgres


def bootstrap(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> TransferEngine:
    """The engine on the configured event store, its ports wired to the read models (opened on
    first use, closed with the engine)."""
    settings = settings or Settings.from_env()
    env = settings.eventstore_env()
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        prepare_postgres(env)
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
    return engine

"""Running the read models: building their views from the settings, catching them up, running
them continuously (ProjectionRunner) and rebuilding them from zero."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, IntegrityError, Tracking
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment

from engine.application import TransferEngine
from engine.settings import Settings, read_model_path
from projections.base import concrete_view
from projections.psa import PsaProjection, PsaView
from projections.quickbooks_lists import QuickBooksListsProjection, QuickBooksListsView
from projections.sessions import SessionsProjection, SessionsView

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class ReadModel:
    """A projection and its view (made concrete for SQLite or PostgreSQL when opened)."""

    projection: type[Projection[Any]]
    view: type

    @property
    def name(self) -> str:
        return self.projection.name


READ_MODELS = {
    model.name.lower(): model
    for model in (
        ReadModel(QuickBooksListsProjection, QuickBooksListsView),
        ReadModel(SessionsProjection, SessionsView),
        ReadModel(PsaProjection, PsaView),
    )
}


def read_model_env(settings: Settings) -> dict[str, str]:
    """The event store's environment plus each read model's own SQLite file."""
    env = settings.eventstore_env()
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        for model in READ_MODELS.values():
            env[f"{model.name.upper()}_SQLITE_DBNAME"] = read_model_path(
                env["SQLITE_DBNAME"], model.name
            )
    return env


def _view_class(model: ReadModel, env: dict[str, str]) -> type:
    return concrete_view(model.view, env["PERSISTENCE_MODULE"])


def open_view(settings: Settings, name: str) -> Any:
    """A read model's view, for queries (and catch-up)."""
    model = READ_MODELS[name.lower()]
    env = read_model_env(settings)
    factory = InfrastructureFactory.construct(env=Environment(model.name, env))
    return factory.tracking_recorder(_view_class(model, env))


def catch_up(engine: TransferEngine, view: Any, name: str) -> int:
    """Apply every event the view has not seen yet; returns how many were applied. If another
    process applies the same events at the same time, the loser stops quietly: each position
    is recorded once, in the same transaction as its rows."""
    model = READ_MODELS[name.lower()]
    projection = model.projection(view=view)
    after = view.max_tracking_id(engine.name) or 0
    applied = 0
    while True:
        batch = engine.recorder.select_notifications(
            start=after, limit=BATCH, topics=model.projection.topics, inclusive_of_start=False
        )
        if not batch:
            return applied
        for notification in batch:
            event = engine.mapper.to_domain_event(notification)
            try:
                projection.process_event(event, Tracking(engine.name, notification.id))
            except IntegrityError:
                log.info("read model %s: another process is applying the same events", name)
                return applied
            applied += 1
        after = batch[-1].id


def fresh_view(settings: Settings, engine: TransferEngine, name: str) -> Any:
    """A view brought up to date with the event store (for commands that read it)."""
    view = open_view(settings, name)
    catch_up(engine, view, name)
    return view


def rebuild(settings: Settings, engine: TransferEngine, name: str) -> int:
    """Clear a read model and replay the whole log into it. Stop its runner first."""
    view = open_view(settings, name)
    view.clear(engine.name)
    return catch_up(engine, view, name)


@contextlib.contextmanager
def running_projections(settings: Settings) -> Iterator[list[ProjectionRunner[Any, Any]]]:
    """Every read model kept up to date by its own ProjectionRunner (one process only)."""
    env = read_model_env(settings)
    with contextlib.ExitStack() as stack:
        runners = [
            stack.enter_context(
                ProjectionRunner(
                    application_class=TransferEngine,
                    projection_class=model.projection,
                    view_class=_view_class(model, env),
                    env=env,
                )
            )
            for model in READ_MODELS.values()
        ]
        yield runners

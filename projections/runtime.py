"""Running the read models: building their views from the settings, keeping them current
through their one writer (projections/writer.py), and rebuilding them from zero."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, IntegrityError
from eventsourcing.projection import Projection
from eventsourcing.utils import Environment

from engine.application import TransferEngine
from engine.settings import Settings, read_model_path
from engine.sqlite_store import is_sqlite
from projections.base import concrete_view
from projections.history import HistoryProjection, HistoryView
from projections.locks import holding, lock_for
from projections.notices import NoticesProjection, NoticesView
from projections.psa import PsaProjection, PsaView
from projections.quickbooks_lists import QuickBooksListsProjection, QuickBooksListsView
from projections.sessions import SessionsProjection, SessionsView
from projections.transfers import TransfersProjection, TransfersView
from projections.writer import (
    WAIT_SECONDS,
    ReadModelRunner,
    apply_pending,
    ensure_current,
    runner_alive,
)

log = logging.getLogger(__name__)
LAG_COUNTED = 10_000  # a lag is counted up to this many events (the rest would cost a scan)


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
        ReadModel(TransfersProjection, TransfersView),
        ReadModel(HistoryProjection, HistoryView),
        ReadModel(NoticesProjection, NoticesView),
    )
}


def read_model_env(settings: Settings) -> dict[str, str]:
    """The event store's environment plus each read model's own SQLite file."""
    env = settings.eventstore_env()
    if is_sqlite(env):
        for model in READ_MODELS.values():
            env[f"{model.name.upper()}_SQLITE_DBNAME"] = read_model_path(
                env["SQLITE_DBNAME"], model.name
            )
    return env


def open_view(settings: Settings, name: str, *, shadow: bool = False) -> Any:
    """A read model's view, for queries (and its runner); with `shadow`, a rebuild's copy of
    its tables beside the live ones."""
    model = READ_MODELS[name.lower()]
    return open_model_view(model, read_model_env(settings), shadow=shadow)


def open_model_view(model: ReadModel, env: dict[str, str], *, shadow: bool = False) -> Any:
    """`model`'s view in the database `env` configures (the store's, or another one)."""
    view_class = concrete_view(model.view, env, shadow=shadow)
    factory = InfrastructureFactory.construct(env=Environment(model.name, env))
    try:
        return factory.tracking_recorder(view_class)
    except IntegrityError:
        # Two processes found no tables and created them, one after the other (on PostgreSQL
        # under engine.postgres_store's lock), and the other one recorded the library's
        # tracking marker first: the tables are there now.
        return factory.tracking_recorder(view_class)


def catch_up(engine: TransferEngine, view: Any, name: str) -> int:
    """Apply every event the view has not seen yet, as its one writer (under the writer lock);
    returns how many were applied. Readers use `current_view` instead."""
    model = READ_MODELS[name.lower()]
    with holding(lock_for(engine, model.name, "writer"), WAIT_SECONDS, model.name):
        return apply_pending(engine, view, model)


def current_view(engine: TransferEngine, view: Any, name: str) -> Any:
    """`view`, once it reflects every event stored so far (see projections.writer)."""
    ensure_current(engine, view, READ_MODELS[name.lower()])
    return view


def fresh_view(settings: Settings, engine: TransferEngine, name: str) -> Any:
    """A view that reflects every event stored so far (for commands that read it)."""
    view = open_view(settings, name)
    try:
        return current_view(engine, view, name)
    except BaseException:
        view.close()
        raise


def rebuild(
    settings: Settings,
    engine: TransferEngine,
    name: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Replay the whole log into a shadow of a read model, beside the live one, and swap it
    in: while the server runs, readers keep the old complete answer (its runner keeps it
    current) until the new complete one replaces it in one transaction. Only the last
    catch-up and the swap hold the writer lock. `progress` hears the log position reached
    after each batch; returns how many events were applied."""
    model = READ_MODELS[name.lower()]
    with holding(lock_for(engine, model.name, "rebuild"), 0, f"a rebuild of {model.name}"):
        shadow = open_view(settings, name, shadow=True)
        try:
            shadow.start_over(engine.name)
            applied = apply_pending(engine, shadow, model, progress=progress)
            with holding(lock_for(engine, model.name, "writer"), 60.0, model.name):
                applied += apply_pending(engine, shadow, model, progress=progress)
                shadow.swap_in(engine.name)
        finally:
            shadow.close()
    view = open_view(settings, name)
    try:
        view.analyze()  # the planner knows nothing of the new tables yet
    finally:
        view.close()
    return applied


def read_model_status(settings: Settings, engine: TransferEngine, name: str) -> dict[str, Any]:
    """A read model's position, its lag (events it still has to apply, counted up to
    LAG_COUNTED: 0 when it has applied every event it cares about, however far the log moved
    on with others) and its runner (alive somewhere, and what it last reported)."""
    model = READ_MODELS[name.lower()]
    view = open_view(settings, name)
    try:
        position = view.max_tracking_id(engine.name) or 0
        lag = len(
            engine.recorder.select_notifications(
                start=position,
                limit=LAG_COUNTED,
                topics=model.projection.topics,
                inclusive_of_start=False,
            )
        )
        reported = view.runner_status(model.name) or {}
    finally:
        view.close()
    alive = runner_alive(engine, model.name)
    runner = {
        "alive": alive,
        "state": (reported.get("state") or "running") if alive else "none",
        **{k: reported.get(k) for k in ("event_id", "topic", "error", "restarts", "at")},
    }
    return {"position": position, "lag": lag, "runner": runner}


@contextlib.contextmanager
def running_projections(
    settings: Settings, engine: TransferEngine
) -> Iterator[list[ReadModelRunner]]:
    """Every read model kept current by its supervised runner, for as long as the block runs."""
    runners = [ReadModelRunner(settings, engine, model) for model in READ_MODELS.values()]
    for runner in runners:
        runner.start()
    try:
        yield runners
    finally:
        for runner in runners:
            runner.stop()

"""`qbtransfer projections ...`: the read models' positions, and rebuilding them from zero."""

from __future__ import annotations

import click

from engine.errors import InvalidValue
from engine.settings import Settings
from projections.runtime import READ_MODELS, open_view, rebuild
from web.cli.common import QbGroup, emit, engine, json_option


@click.group(cls=QbGroup)
def projections() -> None:
    """Read models: status and rebuilds."""


@projections.command("status")
@json_option
def status(as_json):
    """How far each read model has followed the event log."""
    settings = Settings.from_env()
    with engine() as app:
        head = app.recorder.max_notification_id() or 0
        rows = {}
        for name, model in READ_MODELS.items():
            view = open_view(settings, name)
            try:
                rows[model.name] = view.max_tracking_id(app.name) or 0
            finally:
                view.close()
    emit(
        {"log_position": head, "read_models": rows},
        as_json,
        lambda r: "\n".join(
            f"{k:<16} at {v} of {r['log_position']}" for k, v in r["read_models"].items()
        ),
    )


@projections.command("rebuild")
@click.argument("name", required=False)
@json_option
def rebuild_(name, as_json):
    """Clear a read model (or all) and replay the whole event log into it. Stop the worker
    first: two processes must not run one read model."""
    names = [name.lower()] if name else list(READ_MODELS)
    unknown = [n for n in names if n not in READ_MODELS]
    if unknown:
        raise InvalidValue(f"no read model {unknown[0]!r}; known: {', '.join(READ_MODELS)}")
    settings = Settings.from_env()
    with engine() as app:
        applied = {READ_MODELS[n].name: rebuild(settings, app, n) for n in names}
    emit(
        {"rebuilt": applied},
        as_json,
        lambda r: "\n".join(f"{k}: {v} events applied" for k, v in r["rebuilt"].items()),
    )

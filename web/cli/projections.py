"""`qbtransfer projections ...`: the read models' positions, and rebuilding them from zero."""

from __future__ import annotations

import click

from engine.errors import InvalidValue
from engine.settings import Settings
from projections.runtime import READ_MODELS, read_model_status, rebuild
from web.cli.common import QbGroup, emit, engine, json_option
from web.cli.output import progress_bar


@click.group(cls=QbGroup)
def projections() -> None:
    """Read models: status and rebuilds."""


@projections.command("status")
@json_option
def status(as_json):
    """How far each read model has followed the event log, and how its runner is doing."""
    settings = Settings.from_env()
    with engine() as app:
        result = {"log_position": app.recorder.max_notification_id() or 0, "read_models": {}}
        for name, model in READ_MODELS.items():
            result["read_models"][model.name] = read_model_status(settings, app, name)
    emit(result, as_json, _status_text)


def _status_text(result: dict) -> str:
    lines = []
    for name, model in result["read_models"].items():
        runner = model["runner"]
        line = (
            f"{name:<16} at {model['position']} of {result['log_position']}, lag {model['lag']}; "
            f"runner {runner['state']}"
        )
        if runner.get("state") == "failed":
            line += f" on event {runner['event_id']} ({runner['topic']}): {runner['error']}"
        lines.append(line)
    return "\n".join(lines)


@projections.command("rebuild")
@click.argument("name", required=False)
@json_option
def rebuild_(name, as_json):
    """Clear a read model (or all) and replay the whole event log into it. Safe while the
    server or worker runs: their runners wait for the rebuild to finish."""
    names = [name.lower()] if name else list(READ_MODELS)
    unknown = [n for n in names if n not in READ_MODELS]
    if unknown:
        raise InvalidValue(f"no read model {unknown[0]!r}; known: {', '.join(READ_MODELS)}")
    settings = Settings.from_env()
    with engine() as app, progress_bar(app.recorder.max_notification_id() or 0) as bar:
        applied = {}
        for n in names:
            advance = bar(READ_MODELS[n].name)
            applied[READ_MODELS[n].name] = rebuild(settings, app, n, progress=advance)
            advance(None)
    emit(
        {"rebuilt": applied},
        as_json,
        lambda r: "\n".join(f"{k}: {v} events applied" for k, v in r["rebuilt"].items()),
    )

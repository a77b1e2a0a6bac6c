"""`qbtransfer projections ...`: the read models' positions, and rebuilding them from zero."""

from __future__ import annotations

import time

import click

from engine.errors import InvalidValue
from engine.settings import Settings
from projections.runtime import LAG_COUNTED, READ_MODELS, read_model_status, rebuild
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
        lag = f"{model['lag']}+" if model["lag"] >= LAG_COUNTED else str(model["lag"])
        line = (
            f"{name:<16} at {model['position']} of {result['log_position']}, lag {lag}; "
            f"runner {runner['state']}"
        )
        if runner.get("state") == "failed":
            line += f" on event {runner['event_id']} ({runner['topic']}): {runner['error']}"
        lines.append(line)
    return "\n".join(lines)


@projections.command("rebuild")
@click.argument("name", required=False)
@click.option("--all", "everything", is_flag=True, help="Every read model, one after another.")
@json_option
def rebuild_(name, everything, as_json):
    """Rebuild a read model (NAME, or --all) from position zero. Safe while the server or
    worker runs: the new model is built beside the live one, which keeps answering (and its
    runner keeps it current) until the complete new one is swapped in."""
    if bool(name) == everything:
        raise InvalidValue(
            f"name one read model or give --all (read models: {', '.join(READ_MODELS)})"
        )
    names = list(READ_MODELS) if everything else [name.lower()]
    unknown = [n for n in names if n not in READ_MODELS]
    if unknown:
        raise InvalidValue(f"no read model {unknown[0]!r}; known: {', '.join(READ_MODELS)}")
    settings = Settings.from_env()
    with engine() as app, progress_bar(app.recorder.max_notification_id() or 0) as bar:
        rebuilt = {}
        for n in names:
            advance = bar(READ_MODELS[n].name)
            started = time.perf_counter()
            applied = rebuild(settings, app, n, progress=advance)
            seconds = time.perf_counter() - started
            advance(None)
            rebuilt[READ_MODELS[n].name] = {
                "applied": applied,
                "seconds": round(seconds, 3),
                "events_per_second": round(applied / seconds) if seconds else None,
            }
    emit({"rebuilt": rebuilt}, as_json, _rebuilt_text)


def _rebuilt_text(result: dict) -> str:
    return "\n".join(
        f"{name}: {r['applied']} events applied in {r['seconds']:.1f} s, swapped in"
        for name, r in result["rebuilt"].items()
    )

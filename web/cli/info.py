"""`qbtransfer info`: which installation a command talks to, and how it is doing."""

from __future__ import annotations

from importlib.metadata import version

import click

from engine.settings import Settings
from engine.sqlite_store import is_sqlite
from projections.runtime import READ_MODELS, read_model_status
from web.cli.common import emit, engine, json_option
from web.database import masked_url, sqlite_path, store_stats
from web.mail import delivery_for


@click.command()
@json_option
def info(as_json):
    """Show the version, the database in use (any password masked), the public URL, the event
    count, the store's size and each read model's lag.

    \b
    Example:
      QBTRANSFER_HOME=/srv/qbtransfer qbtransfer info --json
    """
    settings = Settings.from_env()
    with engine() as app:
        stats = store_stats(settings, app)
        stored = app.stored_public_url()
        models = {
            READ_MODELS[name].name: read_model_status(settings, app, name) for name in READ_MODELS
        }
        head = app.recorder.max_notification_id() or 0
    sqlite = is_sqlite(settings.eventstore_env())
    result = {
        "version": version("qbtransfer"),
        "database": settings.describe_database(),
        "database_url": masked_url(settings.database_url),
        "database_file": str(sqlite_path(settings)) if sqlite else None,
        "home": str(settings.base_dir.resolve()),
        "public_url": settings.public_url_with(stored),
        "public_url_from": settings.public_url_source(stored),
        "events": stats.events,
        "log_position": head,
        "store_bytes": stats.bytes,
        "mail": delivery_for(settings.smtp_url, settings.outbox, settings.mail_from).describe(),
        "read_models": {
            name: {"position": m["position"], "lag": m["lag"], "runner": m["runner"]["state"]}
            for name, m in models.items()
        },
    }
    emit(result, as_json, _info_text)


def _info_text(result: dict) -> str:
    rows = [
        ("version", result["version"]),
        ("database", result["database"]),
        ("public URL", f"{result['public_url']}  (from {result['public_url_from']})"),
        ("events", f"{result['events']:,}"),
        ("store size", _size(result["store_bytes"])),
        ("mail", result["mail"]),
    ]
    rows += [
        (f"read model {name}", f"at {m['position']:,}, lag {m['lag']}, runner {m['runner']}")
        for name, m in result["read_models"].items()
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{key.ljust(width)}  {value}" for key, value in rows)


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{count} bytes"

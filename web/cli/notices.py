"""`qbtransfer notices ...`: the e-mail notifications decided, and whether each one went."""

from __future__ import annotations

import click

from engine.settings import Settings
from web.cli.common import QbGroup, emit, engine, json_option
from web.cli.output import Column, moment, table
from web.views import notices_list


@click.group(cls=QbGroup)
def notices() -> None:
    """E-mail notifications: digests of failed transfers and alerts, and their delivery."""


@notices.command("list")
@click.option("--connector", help="Only this web connector's notices (id or name).")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many notices.")
@json_option
def list_(connector, limit, as_json):
    """The latest notices, newest first: sent, pending, failing (with the error), given up,
    nothing new (every failure was reported in the last 24 hours) or no recipients (the
    connector has no e-mail addresses)."""
    with engine() as app:
        found = notices_list(Settings.from_env(), app, connector, limit)
    emit({"notices": found}, as_json, _table)


def _table(result: dict) -> str:
    columns = [
        Column("Decided", "decided_at", moment),
        Column("Connector", "connector"),
        Column("About", "topic"),
        Column("Reported", "reported", right=True),
        Column("Status", "status"),
        Column("To", lambda r: ", ".join(r["recipients"]) or None),
        Column("Error", "last_error"),
    ]
    return table(result["notices"], columns, "no notices yet")

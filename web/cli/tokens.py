"""`qbtransfer tokens ...`: bearer tokens for the JSON API."""

from __future__ import annotations

import click

from web.cli.common import QbGroup, emit, engine, json_option


@click.group(cls=QbGroup)
def tokens() -> None:
    """Create admin API tokens."""


@tokens.command("create")
@click.argument("name")
@json_option
def create(name, as_json):
    """Create an admin API token called NAME and print it, once: only its digest is stored."""
    with engine() as app:
        result = app.create_token(name)
    emit(result, as_json, lambda r: r["token"])

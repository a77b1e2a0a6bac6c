"""`qbtransfer tokens ...`: bearer tokens for the JSON API."""

from __future__ import annotations

import click

from web.cli.common import QbGroup, emit, engine, json_option
from web.cli.output import Column, moment, table


@click.group(cls=QbGroup)
def tokens() -> None:
    """Create, list and revoke admin API tokens."""


@tokens.command("create")
@click.argument("name")
@json_option
def create(name, as_json):
    """Create an admin API token called NAME and print it, once: only its digest is stored."""
    with engine() as app:
        result = app.create_token(name)
    emit(result, as_json, lambda r: r["token"])


TOKEN_COLUMNS = [
    Column("Id", "id"),
    Column("Name", "name"),
    Column("Created", "created_at", moment),
    Column("Last used", "last_used_at", moment),
    Column("Revoked", "revoked_at", moment),
]


@tokens.command("list")
@json_option
def list_(as_json):
    """List the tokens (id, name, created, last used to the hour, revoked); never the secret."""
    with engine() as app:
        found = app.list_tokens()
    emit(
        {"tokens": found},
        as_json,
        lambda r: table(r["tokens"], TOKEN_COLUMNS, "no API tokens"),
    )


@tokens.command("revoke")
@click.argument("ref", metavar="ID-OR-NAME")
@json_option
def revoke(ref, as_json):
    """Make a token stop working at once."""
    with engine() as app:
        result = app.revoke_token(ref)
    emit(result, as_json, lambda r: f"revoked token {r['name']} ({r['id']})")

"""`qbtransfer registrations ...`: the .qwc files issued for a connector, and revoking one."""

from __future__ import annotations

import click

from web.cli.common import QbGroup, actor, confirm, emit, engine, json_option, yes_option
from web.cli.output import Column, moment, table


@click.group(cls=QbGroup)
def registrations() -> None:
    """List and revoke downloaded .qwc files."""


@registrations.command("list")
@click.option("--connector", required=True, help="The web connector (id or name).")
@json_option
def registrations_list(connector, as_json):
    """List every .qwc issued for a connector."""
    with engine() as app:
        result = {"registrations": app.list_registrations(connector)}
    emit(
        result,
        as_json,
        lambda r: table(
            r["registrations"],
            [
                Column("Registration", "id"),
                Column("User", "username"),
                Column("Issued", "issued_at", moment),
                Column("By", "issued_by"),
                Column("Revoked", "revoked_at", moment),
            ],
            "no .qwc files issued yet",
        ),
    )


@registrations.command("revoke")
@click.argument("registration")
@click.option("--reason", default="", help="Why (shown to whoever looks later).")
@yes_option
@json_option
def registrations_revoke(registration, reason, assume_yes, as_json):
    """Revoke a downloaded .qwc; QBWC then gets code 90101 and must download a new one."""
    with engine() as app:
        found = app.get_registration(registration)
        if not found["revoked"]:
            name = app.get_connector(found["connector_id"])["name"]
            confirm(
                f"Revoke the .qwc {found['id']} of {name} (user {found['username']}, issued "
                f"{found['issued_at'][:10]})? QBWC will need a new one.",
                assume_yes,
            )
        result = app.revoke_registration(found["id"], reason=reason, revoked_by=actor())
    emit(
        result,
        as_json,
        lambda r: f"revoked: .qwc {r['id']} (user {r['username']}, issued {r['issued_at']})",
    )

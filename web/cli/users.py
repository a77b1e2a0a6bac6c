"""`qbtransfer users ...`: the admins and the API users QBWC logs in as."""

from __future__ import annotations

import click

from engine.errors import InvalidValue
from web.cli.common import QbGroup, describe, emit, engine, json_option, read_password_stdin
from web.cli.output import Column, table

USER_KEYS = [
    "username",
    "display_name",
    "security_level",
    "tracking_id",
    "status",
    "has_password",
    "password_set_at",
    "password_expired",
    "failed_attempts",
]


@click.group(cls=QbGroup)
def users() -> None:
    """Create and change users."""


@users.command("create")
@click.argument("username")
@click.option("--api-only", is_flag=True, help="An API-only user, the kind QBWC logs in as.")
@click.option("--admin", is_flag=True, help="An administrator.")
@click.option("--tracking-id", help="The API tracking identifier (required with --api-only).")
@click.option("--display-name", help="The name people see (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@json_option
def create(username, api_only, admin, tracking_id, display_name, password_stdin, as_json):
    """Create USERNAME, either --api-only with --tracking-id, or --admin."""
    if api_only == admin:
        raise InvalidValue("give exactly one of --api-only or --admin")
    if admin and tracking_id:
        raise InvalidValue("--tracking-id is for API-only users")
    password = read_password_stdin() if password_stdin else None
    with engine() as app:
        user = app.create_user(
            username,
            security_level="api_only" if api_only else "admin",
            tracking_id=tracking_id,
            display_name=display_name,
            password=password,
        )
    emit(user, as_json, lambda u: describe(u, USER_KEYS))


@users.command("set")
@click.argument("username")
@click.option(
    "--status",
    type=click.Choice(["active", "inactive", "locked"]),
    help="Inactive and locked users cannot sign in; active unlocks.",
)
@click.option("--password-stdin", is_flag=True, help="Read a new password from standard input.")
@click.option("--expire-password", is_flag=True, help="Make the password expire now.")
@json_option
def set_(username, status, password_stdin, expire_password, as_json):
    """Change USERNAME's status or password."""
    password = read_password_stdin() if password_stdin else None
    with engine() as app:
        user = app.change_user(
            username, status=status, password=password, expire_password=expire_password
        )
    emit(user, as_json, lambda u: describe(u, USER_KEYS))


@users.command("show")
@click.argument("username")
@json_option
def show(username, as_json):
    """Show USERNAME."""
    with engine() as app:
        user = app.get_user(username)
    emit(user, as_json, lambda u: describe(u, USER_KEYS))


@users.command("list")
@json_option
def list_(as_json):
    """List every user."""
    with engine() as app:
        found = app.list_users()
    emit(
        {"users": found},
        as_json,
        lambda r: table(
            r["users"],
            [
                Column("Username", "username"),
                Column("Level", "security_level"),
                Column("Status", "status"),
                Column("Display name", "display_name"),
                Column("Tracking id", "tracking_id"),
            ],
            "no users yet",
        ),
    )

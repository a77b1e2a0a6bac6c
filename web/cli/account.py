"""`qbtransfer account ...`: the tenant's status and password policy."""

from __future__ import annotations

import click

from engine.settings import Settings
from web.cli.common import ON_OFF, QbGroup, actor, describe, emit, engine, json_option, on_off


@click.group(cls=QbGroup)
def account() -> None:
    """Show or change the account."""


@account.command("set")
@click.option(
    "--status",
    type=click.Choice(["active", "inactive", "suspended"]),
    help="An inactive or suspended account refuses every QBWC session.",
)
@click.option("--strong-passwords", type=ON_OFF, help="Require strong passwords.")
@click.option("--password-expiry-days", type=int, help="Days before a password expires (0: never).")
@click.option("--lockout-attempts", type=int, help="Failed sign-ins before a user is locked.")
@click.option(
    "--public-url",
    metavar="URL",
    help="The https address QBWC reaches this server at, for every .qwc ('' forgets it; "
    "the PUBLIC_URL environment variable overrides it).",
)
@json_option
def set_(status, strong_passwords, password_expiry_days, lockout_attempts, public_url, as_json):
    """Change the account's status, password policy or public URL.

    \b
    Example:
      qbtransfer account set --public-url https://qb.example.com
    """
    kwargs = {}
    if password_expiry_days is not None:
        kwargs["password_expiry_days"] = password_expiry_days
    if public_url is not None:
        kwargs["public_url"] = public_url
    with engine() as app:
        result = app.change_account(
            status=status,
            strong_passwords=on_off(strong_passwords),
            lockout_attempts=lockout_attempts,
            changed_by=actor(),
            **kwargs,
        )
    emit(_with_public_url(result), as_json, describe)


@account.command("show")
@json_option
def show(as_json):
    """Show the account."""
    with engine() as app:
        result = app.get_account()
    emit(_with_public_url(result), as_json, describe)


def _with_public_url(account: dict) -> dict:
    """The account, with the public URL in effect and where it comes from."""
    settings = Settings.from_env()
    return {
        **account,
        "effective_public_url": settings.public_url_with(account["public_url"]),
        "public_url_from": settings.public_url_source(account["public_url"]),
    }

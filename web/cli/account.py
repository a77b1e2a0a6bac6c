"""`qbtransfer account ...`: the tenant's status and password policy."""

from __future__ import annotations

import click

from web.cli.common import ON_OFF, QbGroup, describe, emit, engine, json_option, on_off


@click.group(cls=QbGroup)
def account() -> None:
    """Show or change the account."""


@account.command("set")
@click.option("--status", type=click.Choice(["active", "inactive", "suspended"]))
@click.option("--strong-passwords", type=ON_OFF, help="Require strong passwords.")
@click.option("--password-expiry-days", type=int, help="Days before a password expires (0: never).")
@click.option("--lockout-attempts", type=int, help="Failed sign-ins before a user is locked.")
@json_option
def set_(status, strong_passwords, password_expiry_days, lockout_attempts, as_json):
    """Change the account's status or password policy."""
    kwargs = {}
    if password_expiry_days is not None:
        kwargs["password_expiry_days"] = password_expiry_days
    with engine() as app:
        result = app.change_account(
            status=status,
            strong_passwords=on_off(strong_passwords),
            lockout_attempts=lockout_attempts,
            **kwargs,
        )
    emit(result, as_json, describe)


@account.command("show")
@json_option
def show(as_json):
    """Show the account."""
    with engine() as app:
        result = app.get_account()
    emit(result, as_json, describe)

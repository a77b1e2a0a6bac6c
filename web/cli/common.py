"""What every `qbtransfer` command shares: the engine, output, and reading secrets."""

from __future__ import annotations

import contextlib
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from engine.application import TransferEngine
from engine.errors import InvalidValue
from engine.settings import Settings
from engine.text import check_text
from web.bootstrap import bootstrap
from web.database import new_store_notice, store_exists


class QbGroup(click.Group):
    """A group whose subcommands are listed in the order they were added."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")

ON_OFF = click.Choice(["on", "off"])


def on_off(value: str | None) -> bool | None:
    """'on'/'off' from a command-line option as a bool (None when not given)."""
    return None if value is None else value == "on"


@contextlib.contextmanager
def engine() -> Iterator[TransferEngine]:
    """The engine on the configured store, closed when the command ends."""
    settings = Settings.from_env()
    existed = store_exists(settings)
    app = bootstrap(settings)
    if not existed:
        click.echo(new_store_notice(settings), err=True)
    try:
        yield app
    finally:
        app.close()


def actor() -> str:
    """Who is giving a command-line command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def read_password_stdin() -> str:
    """The first line of standard input, without its line ending."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidValue("no password on standard input (expected one line)")
    return check_text(password, "the password", secret=True)


def emit(result: dict[str, Any], as_json: bool, human: Callable[[dict[str, Any]], str]) -> None:
    """Print a result as one JSON object or as text for people."""
    if as_json:
        click.echo(json.dumps(result, sort_keys=False, default=str))
    else:
        click.echo(human(result))


def describe(fields: dict[str, Any], keys: list[str] | None = None) -> str:
    """Aligned `key: value` lines."""
    keys = keys or list(fields)
    width = max(len(k) for k in keys)
    lines = []
    for key in keys:
        value = fields.get(key)
        if isinstance(value, bool):
            value = "on" if value else "off"
        elif isinstance(value, list):
            value = "; ".join(map(str, value)) or "-"
        elif value is None:
            value = "-"
        lines.append(f"{key.ljust(width)}  {value}")
    return "\n".join(lines)

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
from web.cli.output import money, plain
from web.database import new_store_notice


class QbGroup(click.Group):
    """A group whose subcommands are listed in the order they were added."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
yes_option = click.option(
    "--yes", "-y", "assume_yes", is_flag=True, help="Do it without asking (for scripts)."
)


def on_a_terminal() -> bool:
    """Whether a person can answer a question on standard input."""
    return sys.stdin.isatty()


def confirm(question: str, assume_yes: bool) -> None:
    """Ask before a destructive command on a terminal; without one, `--yes` must say so."""
    if assume_yes:
        return
    if not on_a_terminal():
        raise InvalidValue(f"{question} This cannot be undone: pass --yes to confirm")
    click.confirm(question, abort=True, err=True)


ON_OFF = click.Choice(["on", "off"])


def on_off(value: str | None) -> bool | None:
    """'on'/'off' from a command-line option as a bool (None when not given)."""
    return None if value is None else value == "on"


@contextlib.contextmanager
def engine() -> Iterator[TransferEngine]:
    """The engine on the configured store, closed when the command ends."""
    settings = Settings.from_env()
    app = bootstrap(settings, announce=lambda: click.echo(new_store_notice(settings), err=True))
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


MONEY_KEYS = {"amount", "total", "rate", "unit_price", "unit_cost", "price", "cost", "tax"}


def describe(fields: dict[str, Any], keys: list[str] | None = None) -> str:
    """The one layout of every `show`: aligned `key  value` lines; nested objects as
    `parent.key` lines, lists of objects as `parent[1].key`, money with two decimals."""
    pairs: list[tuple[str, str]] = []
    for key in keys or list(fields):
        _flatten(key, fields.get(key), pairs)
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{key.ljust(width)}  {value}" for key, value in pairs)


def _flatten(key: str, value: Any, pairs: list[tuple[str, str]]) -> None:
    leaf = key.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(value, dict) and value:
        for sub, inner in value.items():
            _flatten(f"{key}.{sub}", inner, pairs)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, inner in enumerate(value, 1):
            _flatten(f"{key}[{index}]", inner, pairs)
    elif (
        leaf in MONEY_KEYS and isinstance(value, int | float | str) and not isinstance(value, bool)
    ):
        pairs.append((key, money(value)))
    else:
        pairs.append((key, plain(value) if value != {} else "-"))

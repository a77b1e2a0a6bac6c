"""Every option of every command says what it does, and every top-level group shows an
example, so `--help` is enough to use the command line."""

from __future__ import annotations

import click

from web.cli import cli


def walk(command: click.Command, path: str):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, f"{path} {name}")


def test_every_option_has_help():
    missing = [
        f"{path} {param.opts[0]}"
        for path, command in walk(cli, "qbtransfer")
        for param in command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert missing == []


def test_every_command_says_what_it_does():
    assert [p for p, c in walk(cli, "qbtransfer") if not (c.help or "").strip()] == []


def test_every_top_level_group_shows_an_example():
    groups = [name for name, c in cli.commands.items() if isinstance(c, click.Group)]
    assert len(groups) >= 10
    without = [name for name in groups if "Example" not in (cli.commands[name].help or "")]
    assert without == []


def test_the_examples_show_in_the_help_output():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["connectors", "--help"])
    assert result.exit_code == 0 and "Example" in result.output
    assert "qbtransfer connectors create" in result.output

"""The `qbtransfer` command line.

The contract scripts rely on: with `--json` a command prints one JSON object on stdout; a
refusal exits with code 2, prints one line on stderr and changes nothing.
"""

from __future__ import annotations

import sys

import click

from engine.errors import DomainError
from engine.text import brief, check_text
from web.cli.account import account
from web.cli.audit import audit
from web.cli.common import QbGroup
from web.cli.connectors import connectors
from web.cli.info import info
from web.cli.mappings import mappings
from web.cli.notices import notices
from web.cli.projections import projections
from web.cli.psa import documents, import_, organizations, resources
from web.cli.quickbooks import quickbooks
from web.cli.registrations import registrations
from web.cli.server import serve, worker
from web.cli.sessions import sessions
from web.cli.tokens import tokens
from web.cli.transfers import history, transfers
from web.cli.users import users


@click.group(cls=QbGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qbtransfer")
def cli() -> None:
    """qbtransfer: move PSA billing work into QuickBooks Desktop through the Web Connector."""


for _command in (
    info,
    users,
    account,
    connectors,
    registrations,
    import_,
    documents,
    organizations,
    resources,
    quickbooks,
    mappings,
    transfers,
    history,
    sessions,
    notices,
    tokens,
    projections,
    audit,
    serve,
    worker,
):
    cli.add_command(_command)


# One example per top-level group, shown at the end of its --help.
EXAMPLES = {
    "users": 'echo "$API_PASSWORD" | qbtransfer users create qbwc-api --api-only '
    "--tracking-id T1 --password-stdin",
    "account": "qbtransfer account set --public-url https://qb.example.com",
    "connectors": 'qbtransfer connectors create --name "Acme Books" --api-user qbwc-api',
    "registrations": 'qbtransfer registrations list --connector "Acme Books"',
    "documents": "qbtransfer documents ready invoice INV-5001 INV-5002",
    "organizations": 'qbtransfer organizations assign ORG-100 --connector "Acme Books"',
    "resources": 'qbtransfer resources list --connector "Acme Books"',
    "quickbooks": 'qbtransfer quickbooks list accounts --connector "Acme Books" --search income',
    "mappings": 'qbtransfer mappings set "Acme Books" lines-of-business none "[no class]"',
    "transfers": "qbtransfer transfers list --status pending_failed",
    "sessions": "qbtransfer sessions show 9fcf989a --no-xml",
    "notices": 'qbtransfer notices list --connector "Acme Books"',
    "tokens": "qbtransfer tokens create ci-bot",
    "projections": "qbtransfer projections status --json",
    "audit": "qbtransfer audit replay --document invoice:INV-5001 --as-of 2026-12-01T09:00:00Z",
}
for _name, _example in EXAMPLES.items():
    _group = cli.commands[_name]
    if "Example" not in (_group.help or ""):
        _group.help = f"{(_group.help or '').rstrip()}\n\n\b\nExample:\n  {_example}"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `qbtransfer` console script."""
    args = sys.argv[1:] if argv is None else argv
    try:
        for arg in args:  # bytes that were not UTF-8 arrive as lone surrogates
            check_text(arg, "a command-line argument")
        code = cli.main(args=args, prog_name="qbtransfer", standalone_mode=False)
        if isinstance(code, int) and code:  # click returns an Exit's code in this mode
            sys.exit(code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"error: {_one_line(exc.format_message())}", err=True)
        sys.exit(2)
    except DomainError as exc:
        click.echo(f"error: {_one_line(exc.message)}", err=True)
        sys.exit(2)


def _one_line(text: str) -> str:
    return brief(" ".join(text.split()))

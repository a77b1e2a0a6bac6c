"""`qbtransfer import`, `documents`, `organizations` and `resources`: the PSA's side."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.errors import InvalidValue
from engine.kinds import DocumentStatus
from engine.psa import DOCUMENT_KINDS, KINDS, document_kind, schema
from engine.psa.importing import ImportRefused
from engine.settings import Settings
from engine.text import parse_json
from web.cli.common import QbGroup, actor, describe, emit, engine, json_option
from web.cli.output import Column, table, working
from web.views import documents_list, psa_records


def _report_text(report: dict) -> str:
    lines = []
    verb = (
        "would change"
        if report["dry_run"]
        else ("imported" if report["imported"] else "refused (nothing imported)")
    )
    lines.append(f"import {verb}:")
    for kind, counts in report["counts"].items():
        lines.append(f"  {kind:<20} " + "  ".join(f"{k} {v}" for k, v in counts.items()))
    for change in report["changes"]:
        lines.append(f"  changed {change['record']}: {', '.join(change['fields'])}")
    for record in report["marked_ready"]:
        lines.append(f"  ready to transfer: {record}")
    for record in report["changed_after_transfer"]:
        lines.append(f"  CHANGED AFTER TRANSFER (not re-sent; check it in QuickBooks): {record}")
    for error in report["errors"]:
        lines.append(f"  error {error['record']} {error['field']}: {error['message']}")
    return "\n".join(lines)


def _read_stdin() -> bytes | str:
    # Bytes when standard input has them (a terminal or pipe), so bad UTF-8 is reported.
    stream = getattr(sys.stdin, "buffer", None)
    return stream.read() if stream is not None else sys.stdin.read()


@click.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--continue-on-error",
    is_flag=True,
    help="Import the good records and refuse only the bad ones.",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option(
    "--schema",
    "print_schema",
    is_flag=True,
    help="Print the JSON Schema of the qbtransfer-psa/1 format.",
)
@json_option
def import_(file, continue_on_error, dry_run, print_schema, as_json):
    """Import a qbtransfer-psa/1 file: the PSA's records and documents ("-" reads stdin)."""
    if print_schema:
        click.echo(json.dumps(schema(), indent=1))
        return
    if file is None:
        raise InvalidValue("give the file to import (or --schema)")
    try:
        raw = _read_stdin() if str(file) == "-" else file.read_bytes()
    except OSError as exc:
        raise InvalidValue(f"cannot read {file}: {exc.strerror}") from None
    data = parse_json(raw, "standard input" if str(file) == "-" else str(file))
    size = f"{len(raw) / 1_000_000:.1f} MB" if len(raw) >= 100_000 else f"{len(raw):,} bytes"
    with engine() as app, working(f"checking and importing {size} (all or nothing)..."):
        try:
            report = app.import_psa(
                data, by=actor(), dry_run=dry_run, continue_on_error=continue_on_error
            )
        except ImportRefused as refused:
            # The whole report goes to stdout so every error can be read; stderr gets one line.
            emit(refused.report, as_json, _report_text)
            raise
    emit(report, as_json, _report_text)


@click.group(cls=QbGroup)
def documents() -> None:
    """Invoices, timesheets, expense reports and purchase orders from the PSA."""


@documents.command("list")
@click.option("--type", "document_type", help="invoice, timesheet, expense-report, purchase-order")
@click.option(
    "--status",
    type=click.Choice([s.value for s in DocumentStatus]),
    help="Only documents in this state.",
)
@click.option(
    "--since", help="Only documents whose transfer or paid date changed since this ISO time."
)
@json_option
def documents_list_(document_type, status, since, as_json):
    """List imported documents, with what QuickBooks holds of the transferred ones."""
    kinds = [document_kind(document_type)] if document_type else list(DOCUMENT_KINDS)
    with engine() as app:
        found = documents_list(Settings.from_env(), app, kinds, status, since)
    emit(
        {"documents": found},
        as_json,
        lambda r: table(
            r["documents"],
            [
                Column("Type", "type"),
                Column("Id", "id"),
                Column("Number", "number"),
                Column("Status", "status"),
                Column("Changed after transfer", lambda d: d["changed_after_transfer"] or None),
            ],
            "no documents",
        ),
    )


@documents.command("show")
@click.argument("document_type")
@click.argument("document_id")
@json_option
def documents_show(document_type, document_id, as_json):
    """Show one document: TYPE (invoice, timesheet, expense-report, purchase-order) and id."""
    with engine() as app:
        found = app.get_document(document_type, document_id)
    emit(
        found,
        as_json,
        describe,
    )


def _queue_command(name: str, verb: str, help_text: str) -> None:
    """`documents ready` and `documents withdraw`: one engine verb over several documents."""

    @documents.command(name, help=help_text)
    @click.argument("document_type")
    @click.argument("document_ids", nargs=-1, required=True)
    @json_option
    def change(document_type, document_ids, as_json):
        with engine() as app:
            done = getattr(app, verb)(document_type, list(document_ids), by=actor())
        emit(
            {"documents": done},
            as_json,
            lambda r: "\n".join(f"{d['id']}: {d['status']}" for d in r["documents"]),
        )


_queue_command("ready", "mark_ready", "Mark documents Ready to Transfer (all of them, or none).")
_queue_command(
    "withdraw", "withdraw", "Take documents off the transfer queue (all of them, or none)."
)


@documents.command("mark-transferred")
@click.argument("document_type")
@click.argument("document_id")
@click.option("--connector", required=True, help="The web connector whose file has it.")
@click.option("--reference", required=True, help="Its number or TxnID in QuickBooks.")
@json_option
def documents_mark_transferred(document_type, document_id, connector, reference, as_json):
    """Record that a document is already in QuickBooks, so it is never sent."""
    with engine() as app:
        done = app.mark_transferred(
            document_type, document_id, connector_ref=connector, reference=reference, by=actor()
        )
    emit(done, as_json, lambda d: f"{d['id']}: {d['status']}")


@documents.command("set-paid-date")
@click.argument("document_type")
@click.argument("document_id")
@click.option("--date", "paid_date", help="The paid date (YYYY-MM-DD).")
@click.option("--clear", is_flag=True, help="Clear it.")
@json_option
def documents_set_paid_date(document_type, document_id, paid_date, clear, as_json):
    """Set an invoice's paid date by hand; QuickBooks never overwrites it."""
    if bool(paid_date) == clear:
        raise InvalidValue("give either --date YYYY-MM-DD or --clear")
    with engine() as app:
        done = app.set_paid_date(document_type, document_id, paid_date, by=actor())
    emit(done, as_json, lambda d: f"{d['id']}: paid {d['paid_date'] or '(not set)'}")


def _assign_group(kind: str) -> click.Group:
    singular = KINDS[kind].singular

    @click.group(name=kind, cls=QbGroup, help=f"{singular.capitalize()}s and their web connector.")
    def group() -> None:
        pass

    @group.command(
        "assign",
        help=f"Send a {singular}'s work to a web connector (--default: "
        "back to the default connector).",
    )
    @click.argument("psa_id")
    @click.option("--connector", help="The web connector (id or name).")
    @click.option("--default", "to_default", is_flag=True, help="Back to the default connector.")
    @json_option
    def assign(psa_id, connector, to_default, as_json):
        if bool(connector) == to_default:
            raise InvalidValue("give exactly one of --connector or --default")
        with engine() as app:
            done = app.assign(kind, psa_id, None if to_default else connector, by=actor())
        emit(
            done,
            as_json,
            lambda r: f"{r['id']} ({r['name']}): connector {r['connector_id'] or 'default'}",
        )

    @group.command("list", help=f"The imported {kind}, and the web connector of each.")
    @click.option("--connector", help="Only those whose work goes to this web connector.")
    @click.option("--search", help="Only those whose id or name contains this (any case).")
    @json_option
    def list_(connector, search, as_json):
        with engine() as app:
            found = psa_records(Settings.from_env(), app, kind, connector, search)
        columns = [
            Column("Id", "id"),
            Column("Name", "name"),
            Column("Web connector", lambda r: r["connector"]),
            Column("Assigned", lambda r: "yes" if r["assigned"] else "default"),
        ]
        emit({kind: found}, as_json, lambda r: table(r[kind], columns, f"no {kind} imported"))

    @group.command("show", help=f"Show one {singular}.")
    @click.argument("psa_id")
    @json_option
    def show(psa_id, as_json):
        with engine() as app:
            found = app.get_psa_record(kind, psa_id)
        emit(found, as_json, describe)

    return group


organizations = _assign_group("organizations")
resources = _assign_group("resources")

"""`qbtransfer transfers ...` and `qbtransfer history`: the queues, what a person may do with a
transfer, and what happened to every one of them."""

from __future__ import annotations

import json

import click

from engine.settings import Settings
from projections.history import RESULTS
from web.cli.common import (
    QbGroup,
    actor,
    confirm,
    describe,
    emit,
    engine,
    json_option,
    yes_option,
)
from web.cli.output import Column, moment, money, table
from web.views import history as history_page
from web.views import history_csv, transfers_list


@click.group(cls=QbGroup)
def transfers() -> None:
    """The transfer queues, and requeuing or correcting a transfer."""


@transfers.command("list")
@click.option("--connector", help="Only this web connector's (id or name).")
@click.option("--type", "kind", help="invoices, timesheets, expense_reports, purchase_orders.")
@click.option(
    "--status",
    help="pending (never tried), pending_failed (tried, to be retried), or a transfer status.",
)
@click.option(
    "--limit", type=int, default=100, show_default=True, help="At most this many transfers."
)
@json_option
def list_(connector, kind, status, limit, as_json):
    """Transfers, the latest changed first."""
    with engine() as app:
        found = transfers_list(
            Settings.from_env(), app, connector=connector, kind=kind, status=status, limit=limit
        )
    emit({"transfers": found}, as_json, _transfers_table)


@transfers.command("show")
@click.argument("document_type")
@click.argument("document_id")
@click.option("--connector", required=True, help="The web connector (id or name).")
@json_option
def show(document_type, document_id, connector, as_json):
    """One document's transfer through a connector."""
    with engine() as app:
        found = app.get_transfer(document_type, document_id, connector)
    emit(found, as_json, describe)


@transfers.command("requeue")
@click.argument("document_type")
@click.argument("document_ids", nargs=-1, required=True)
@click.option("--connector", required=True, help="The web connector (id or name).")
@json_option
def requeue(document_type, document_ids, connector, as_json):
    """Send failed transfers again at the next session (all of them, or none)."""
    with engine() as app:
        done = app.requeue_transfers(connector, document_type, list(document_ids), by=actor())
    emit({"transfers": done}, as_json, _transfers_table)


@transfers.command("mark-not-transferred")
@click.argument("document_type")
@click.argument("document_id")
@click.option("--connector", required=True, help="The web connector (id or name).")
@yes_option
@json_option
def mark_not_transferred(document_type, document_id, connector, assume_yes, as_json):
    """Say a transferred document is not in QuickBooks: it is sent again (a duplicate if
    QuickBooks still holds it)."""
    with engine() as app:
        found = app.get_transfer(document_type, document_id, connector)
        confirm(
            f"Send {document_type} {document_id} to QuickBooks again (now {found['status']})? "
            "If QuickBooks still holds it, it will be there twice.",
            assume_yes,
        )
        done = app.mark_not_transferred(connector, document_type, document_id, by=actor())
    emit(done, as_json, lambda t: f"{t['document_id']}: {t['status']}\nwarning: {t['warning']}")


def _transfers_table(result: dict) -> str:
    columns = [
        Column(
            "Document",
            lambda t: f"{t.get('kind') or t.get('type')}:{t.get('psa_id') or t.get('document_id')}",
        ),  # fmt: skip
        Column("Number", "number"),
        Column("Status", "status"),
        Column("Attempts", "attempts", right=True),
        Column("Problem", lambda t: t.get("failure_message")),
    ]
    return table(result["transfers"], columns, "no transfers")


@click.command("history")
@click.option("--connector", help="Only this web connector's (id or name).")
@click.option("--type", "kind", help="invoice, timesheet, expense-report, purchase-order.")
@click.option("--result", type=click.Choice(list(RESULTS)), help="Only attempts with this result.")
@click.option("--since", help="From this date or time (ISO 8601).")
@click.option("--until", help="Up to this date (included) or time.")
@click.option("--document", help="One document's every attempt: TYPE:ID (invoice:INV-5001).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    help="A table for people, JSON for scripts, CSV for accountants.",
)
@click.option("--limit", type=int, default=100, show_default=True, help="Rows per page.")
@click.option("--page", type=int, default=1, show_default=True, help="Which page of rows.")
def history(connector, kind, result, since, until, document, fmt, limit, page):
    """What happened to each transfer, newest first: result, QuickBooks' TxnID and number or
    status code and message, the attempt, who ran the session, and the exchange to read the
    qbXML of (`qbtransfer sessions show`)."""
    with engine() as app:
        found = history_page(
            Settings.from_env(), app, connector=connector, kind=kind, result=result,
            since=since, until=until, document=document, limit=limit, page=page,
        )  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(found, default=str))
    elif fmt == "csv":
        click.echo(history_csv(found["rows"]), nl=False)
    else:
        click.echo(_history_table(found))


def _history_table(found: dict) -> str:
    columns = [
        Column("At", "at", moment),
        Column("Document", lambda r: f"{r['kind']}:{r['psa_id']}"),
        Column("Number", "number"),
        Column("Amount", "amount", money, right=True),
        Column("Result", "result"),
        Column(
            "In QuickBooks",
            lambda r: f"TxnID {r['txn_id']} #{r['ref_number'] or '-'}" if r["txn_id"] else None,
        ),  # fmt: skip
        Column("Code", "code"),
        Column("Message", "message"),
    ]
    text = table(found["rows"], columns, "no history yet")
    if found["more"]:
        text += f"\n(more: --page {found['page'] + 1})"
    return text

"""`qbtransfer quickbooks ...`: browse what a connector's company file holds, as synced, when
choosing mapping targets."""

from __future__ import annotations

import click

from engine.aggregates.quickbooks_lists import LIST_NAMES
from engine.settings import Settings
from web.cli.common import QbGroup, emit, engine, json_option
from web.cli.output import Column, table
from web.views import quickbooks_records

LISTS = {name.replace("_", "-"): name for name in LIST_NAMES}


@click.group(cls=QbGroup)
def quickbooks() -> None:
    """Browse the QuickBooks lists synced from a connector's company file.

    \b
    Example:
      qbtransfer quickbooks list accounts --connector "Acme Books" --search income
    """


@quickbooks.command("list")
@click.argument("list_name", metavar="LIST", type=click.Choice(list(LISTS)))
@click.option("--connector", required=True, help="The web connector (id, prefix or name).")
@click.option("--search", help="Only records whose full name contains this (any case).")
@json_option
def list_(list_name, connector, search, as_json):
    """One list (accounts, classes, items, customers, employees, vendors, payroll-items,
    terms, sales-tax-codes, ship-methods), by full name, as of the last sync."""
    with engine() as app:
        result = quickbooks_records(Settings.from_env(), app, LISTS[list_name], connector, search)
    emit(result, as_json, _records_table)


def _records_table(result: dict) -> str:
    columns = [
        Column("Full name", "full_name"),
        Column("Type", lambda r: r["details"].get("AccountType") or r["type"]),
        Column("Active", lambda r: "yes" if r["is_active"] else "no"),
        Column("ListID", "list_id"),
    ]
    empty = f"no {result['list'].replace('_', ' ')} synced from {result['connector']}'s file"
    return table(result["records"], columns, empty)

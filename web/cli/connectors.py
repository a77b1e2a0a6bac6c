"""`qbtransfer connectors ...`: web connectors, their settings and their .qwc files."""

from __future__ import annotations

from pathlib import Path

import click

from engine.errors import InvalidValue
from engine.kinds import TransferKind
from engine.qwc import local_address_warning
from engine.settings import Settings
from web.cli.common import (
    ON_OFF,
    QbGroup,
    actor,
    confirm,
    describe,
    emit,
    engine,
    json_option,
    on_off,
    yes_option,
)
from web.cli.output import Column, table
from web.views import connector_detail, readiness

CONNECTOR_KEYS = [
    "id",
    "name",
    "is_default",
    "api_user",
    "file_id",
    "app_name",
    "transfer_invoices",
    "transfer_timesheets",
    "transfer_expense_reports",
    "transfer_purchase_orders",
    "sync_inventory_on_next_run",
    "last_inventory_sync",
    "income_account",
    "emails",
    "transfer_taxes_directly",
    "auto_run_minutes",
    "item_naming",
    "name_overflow",
    "transfer_cash_advances",
    "registrations",
]
DETAIL_KEYS = [
    "company_file_location",
    "company_file_id",
    "company_name",
    "quickbooks_product",
    "quickbooks_country",
    "qbxml_version",
]


def _connector_table(result: dict) -> str:
    on = [(f"transfer_{kind}", str(kind).replace("_", " ")) for kind in TransferKind]
    columns = [
        Column("Name", lambda c: c["name"] + (" (default)" if c["is_default"] else "")),
        Column("Id", "id"),
        Column("API user", "api_user"),
        Column("Transfers on", lambda c: ", ".join(label for key, label in on if c[key]) or "-"),
        Column("Company file", "company_file_location"),
    ]
    return table(result["connectors"], columns, "no web connectors yet")


@click.group(cls=QbGroup)
def connectors() -> None:
    """Create web connectors, change their settings and download .qwc files."""


@connectors.command("create")
@click.option("--name", required=True, help="Name it after the QuickBooks company file.")
@click.option("--api-user", required=True, help="The API-only user QBWC communicates as.")
@json_option
def create(name, api_user, as_json):
    """Create a web connector. The first one is the default, forever."""
    with engine() as app:
        result = app.create_connector(name=name, api_username=api_user)
    emit(result, as_json, lambda c: describe(c, CONNECTOR_KEYS))


@connectors.command("list")
@json_option
def list_(as_json):
    """List the web connectors, the default first."""
    with engine() as app:
        result = {"connectors": app.list_connectors()}
    emit(result, as_json, _connector_table)


@connectors.command("show")
@click.argument("connector")
@json_option
def show(connector, as_json):
    """Show one web connector (by id or name), its company file and QuickBooks lists."""
    with engine() as app:
        result = connector_detail(Settings.from_env(), app, connector)
    emit(result, as_json, _describe_detail)


def _describe_detail(connector: dict) -> str:
    return describe(connector, CONNECTOR_KEYS + DETAIL_KEYS + ["last_session", "quickbooks_lists"])


@connectors.command("set")
@click.argument("connector")
@click.option("--name", help="Rename the connector.")
@click.option("--api-user", help="Communicate with QuickBooks as this API-only user.")
@click.option("--transfer-invoices", type=ON_OFF, help="Transfer invoices and sync paid dates.")
@click.option("--transfer-timesheets", type=ON_OFF, help="Transfer timesheets (time entries).")
@click.option("--transfer-expense-reports", type=ON_OFF, help="Transfer expense reports as bills.")
@click.option(
    "--transfer-purchase-orders",
    type=ON_OFF,
    help="Transfer purchase orders and sync inventory (one connector only).",
)
@click.option(
    "--sync-inventory-now",
    is_flag=True,
    help="Full inventory sync during the next QuickBooks-initiated communication.",
)
@click.option("--emails", help="';'-separated addresses told about transfer errors ('' clears).")
@click.option("--auto-run-minutes", type=int, help="How often QBWC runs this connector (>= 15).")
@click.option("--income-account", help="QuickBooks income account for new inventory items.")
@click.option(
    "--transfer-taxes-directly",
    type=ON_OFF,
    help="Legacy, US QuickBooks only: send the PSA's tax as an invoice line.",
)
@click.option(
    "--item-naming",
    type=click.Choice(["billing-code", "role-work-type"]),
    help="One QuickBooks item per billing code, or Role:Work Type sub-items.",
)
@click.option(
    "--name-overflow",
    type=click.Choice(["fail", "truncate"]),
    help="A name longer than QuickBooks allows fails its transfer, or is cut.",
)
@click.option(
    "--transfer-cash-advances",
    type=ON_OFF,
    help="Send cash advances as a negative line on expense report bills.",
)
@json_option
def set_(
    connector,
    name,
    api_user,
    transfer_invoices,
    transfer_timesheets,
    transfer_expense_reports,
    transfer_purchase_orders,
    sync_inventory_now,
    emails,
    auto_run_minutes,
    income_account,
    transfer_taxes_directly,
    item_naming,
    name_overflow,
    transfer_cash_advances,
    as_json,
):
    """Change a web connector's settings; each change is recorded as its own event."""
    transfers = {
        kind: on_off(value)
        for kind, value in (
            (TransferKind.INVOICES, transfer_invoices),
            (TransferKind.TIMESHEETS, transfer_timesheets),
            (TransferKind.EXPENSE_REPORTS, transfer_expense_reports),
            (TransferKind.PURCHASE_ORDERS, transfer_purchase_orders),
        )
        if value is not None
    }
    kwargs = {} if income_account is None else {"income_account": income_account}
    with engine() as app:
        result = app.change_connector(
            connector,
            name=name,
            api_username=api_user,
            transfers=transfers,
            sync_inventory_now=sync_inventory_now,
            emails=emails,
            auto_run_minutes=auto_run_minutes,
            transfer_taxes_directly=on_off(transfer_taxes_directly),
            item_naming=item_naming,
            name_overflow=name_overflow,
            transfer_cash_advances=on_off(transfer_cash_advances),
            **kwargs,
        )
    emit(result, as_json, lambda c: describe(c, CONNECTOR_KEYS))


@connectors.command("qwc")
@click.argument("connector")
@click.option("--user", "username", help="The API user the file is for (default: the connector's).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the file here instead of standard output.",
)
def qwc(connector, username, output):
    """Write a new .qwc file for a web connector: every download is a new registration."""
    if output is not None and output.parent and not output.parent.exists():
        raise InvalidValue(f"folder {str(output.parent)!r} does not exist")
    with engine() as app:
        public_url = Settings.from_env().public_url_with(app.stored_public_url())
        issued = app.issue_qwc(
            connector, public_url=public_url, issued_by=actor(), username=username
        )
    warning = local_address_warning(public_url)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if output is None:
        click.echo(issued["qwc"], nl=False)
        return
    output.write_text(issued["qwc"], encoding="utf-8")
    click.echo(f"wrote {output} (registration {issued['registration_id']})", err=True)


@connectors.command("clear-company-file")
@click.argument("connector")
@yes_option
@json_option
def clear_company_file(connector, assume_yes, as_json):
    """Unlink the company file: its lists (and mappings) are forgotten, every .qwc issued so far
    stops working (90101), and the next session links the file QuickBooks has open."""
    with engine() as app:
        before = app.get_connector(connector)
        live = [r for r in app.list_registrations(connector) if not r["revoked"]]
        confirm(
            f"Unlink {before['name']} from {before['company_file_location'] or 'its company file'}"
            f", forgetting its QuickBooks lists and mappings and revoking {len(live)} .qwc "
            "file(s)?",
            assume_yes,
        )
        result = app.clear_company_file(connector, cleared_by=actor())
    result = {
        **result,
        "cleared_company_file": before["company_file_location"],
        "revoked_registrations": [r["id"] for r in live],
    }
    emit(
        result,
        as_json,
        lambda c: (
            f"cleared: {c['name']} no longer linked to {c['cleared_company_file']}; its "
            f"lists and mappings are forgotten; revoked {len(live)} .qwc file(s)"
            + "".join(f"\n  revoked {x}" for x in c["revoked_registrations"])
        ),
    )


@connectors.command("sync-deletions")
@click.argument("connector")
@json_option
def sync_deletions(connector, as_json):
    """Look for records deleted in QuickBooks during the connector's next run.

    Like every run, that run first pulls what changed in the lists since they were last
    pulled; to pull the lists without a deletion sync, use `refresh-lists`."""
    with engine() as app:
        result = app.request_deletion_sync(connector)
    emit(result, as_json, lambda c: f"deletion sync due at the next run of {c['name']}")


@connectors.command("refresh-lists")
@click.argument("connector")
@click.option("--full", is_flag=True, help="Pull every record again, not only what changed.")
@json_option
def refresh_lists(connector, full, as_json):
    """Pull the QuickBooks lists at the connector's next run, even within the hour.

    Run it after adding an account, item or customer in QuickBooks, then run the Web Connector
    (Update Selected): the mapping commands see the new record once that run is over."""
    with engine() as app:
        result = app.request_list_refresh(connector, full=full, requested_by=actor())
    emit(result, as_json, _refresh_text)


def _refresh_text(result: dict) -> str:
    lines = [f"{result['connector']}: {result['note']}"]
    width = max(len(name) for name in result["lists"])
    lines += [
        f"  {name.replace('_', ' ').ljust(width)}  last pulled {at or 'never'}"
        for name, at in result["lists"].items()
    ]
    return "\n".join(lines)


@connectors.command("inventory-history")
@click.argument("connector")
@json_option
def inventory_history(connector, as_json):
    """The Inventory Synchronization History: each full sync, and every item it skipped."""
    with engine() as app:
        result = app.inventory_history(connector)
    emit(result, as_json, _inventory_text)


def _inventory_text(result: dict) -> str:
    lines = [
        f"last inventory sync: {result['last_inventory_sync'] or 'never'}"
        + ("  (an adjustment awaits verification)" if result["in_doubt"] else "")
    ]
    for run in result["runs"]:
        lines.append(f"{run['at']}  {run['outcome']}  {run['message']}")
        lines += [f"    skipped {s['item']}: {s['reason']}" for s in run["skipped"]]
    return "\n".join(lines)


@connectors.command("check")
@click.argument("connector")
@click.option(
    "--type",
    "kind",
    type=click.Choice([str(kind) for kind in TransferKind]),
    help="Check this transfer type only, whether it is on or not (before switching it on).",
)
@json_option
def check(connector, kind, as_json):
    """What blocks each transfer type of a web connector (the readiness check).

    Exits 0 when every transfer type that is on is ready (with --type: that type), 1 when
    something blocks one, 2 when the command is refused.

    \b
    Example:
      qbtransfer connectors check "Acme Books" --type invoices || echo "not yet"
    """
    with engine() as app:
        result = readiness(Settings.from_env(), app, connector)
    if kind is not None:
        report = result["types"][kind]
        result = {**result, "types": {kind: report}, "ready": not report["blockers"]}
    else:
        result["ready"] = not any(r["blockers"] for r in result["types"].values() if r["enabled"])
    emit(result, as_json, lambda r: _check_text(r, checked=kind))
    if not result["ready"]:
        raise click.exceptions.Exit(1)


def _check_text(result: dict, checked: str | None = None) -> str:
    enabled = [k for k, r in result["types"].items() if r["enabled"] or k == checked]
    verdict = (
        "no transfer type is on yet" if not enabled else "ready" if result["ready"] else "NOT ready"
    )
    lines = [f"{result['name']}: {verdict}"]
    for kind, report in result["types"].items():
        state = "on" if report["enabled"] else "off"
        lines.append(f"\n{kind} ({state}, {report['documents_ready']} ready)")
        lines += [f"  BLOCKER  {b}" for b in report["blockers"]]
        lines += [f"  note     {n}" for n in report["notes"]]
    return "\n".join(lines)

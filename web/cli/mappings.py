"""`qbtransfer mappings ...`: which QuickBooks record each PSA code stands for."""

from __future__ import annotations

import click

from engine.settings import Settings
from web.cli.common import QbGroup, actor, emit, engine, json_option
from web.views import mappings as mappings_overview
from web.views import set_mapping


@click.group(cls=QbGroup)
def mappings() -> None:
    """Show, set and clear a connector's mappings."""


def _table(result: dict) -> str:
    lines = [f"mappings of {result['connector']}"]
    for category, rows in result["categories"].items():
        lines.append(f"\n{category}")
        for row in rows:
            target = row["quickbooks"]
            shown = (
                (target.get("special") or target.get("full_name"))
                if target
                else f"- ({row['default']})"
                if row["default"]
                else "-"
            )
            stale = "  (DELETED IN QUICKBOOKS)" if row["missing_in_quickbooks"] else ""
            lines.append(f"  {row['psa_id']:<10} {row['psa_name'][:36]:<36} -> {shown}{stale}")
    return "\n".join(lines)


@mappings.command("show")
@click.argument("connector")
@click.option("--category", help="Only this category.")
@json_option
def show(connector, category, as_json):
    """Every PSA code of each category and what it maps to."""
    with engine() as app:
        result = mappings_overview(Settings.from_env(), app, connector, category)
    emit(result, as_json, _table)


@mappings.command("set")
@click.argument("connector")
@click.argument("category")
@click.argument("psa_id")
@click.argument("quickbooks")
@json_option
def set_(connector, category, psa_id, quickbooks, as_json):
    """Map PSA-ID of CATEGORY to a QuickBooks record (full name or ListID)."""
    with engine() as app:
        result = set_mapping(
            Settings.from_env(), app, connector, category, psa_id, quickbooks, actor()
        )
    target = result["quickbooks"]
    emit(
        result,
        as_json,
        lambda r: f"{category} {psa_id} -> {target.get('special') or target.get('full_name')}",
    )


@mappings.command("clear")
@click.argument("connector")
@click.argument("category")
@click.argument("psa_id")
@json_option
def clear(connector, category, psa_id, as_json):
    """Remove a mapping (the category's default applies again)."""
    with engine() as app:
        result = app.clear_mapping(connector, category, psa_id, by=actor())
    emit(result, as_json, lambda r: f"{category} {psa_id}: not mapped ({r['default'] or '-'})")

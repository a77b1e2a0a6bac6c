"""The mapping pages: a page per category, each PSA code with what it maps to, the QuickBooks
choices from the synced lists (searchable when long), the special choices ("[no class]",
"[do not transfer]") where they apply, what changed once saved, and the codes whose QuickBooks
record was deleted."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from engine.errors import DomainError
from engine.mapping import CATEGORIES
from web.admin import actor, admin, not_found, page, signed_in

LONG_LIST = 40  # more choices than this: a text field that searches them (a datalist)
DEFAULT = ""  # the choice that clears a mapping: the category's default applies


def _deps() -> tuple[Any, Any]:
    from web import get_engine, get_settings

    return get_engine(), get_settings()


@admin.route("/connectors/<ref>/mappings")
@signed_in
def mappings(ref: str) -> Any:
    """Every category, with how many of its codes are mapped and how many point at records
    QuickBooks no longer has."""
    from web.views import mappings as all_mappings

    engine, settings = _deps()
    try:
        found = all_mappings(settings, engine, ref, None)
    except DomainError as refusal:
        return not_found("Mappings", refusal)
    summary = {
        name: {
            "label": CATEGORIES[name].label,
            "codes": len(rows),
            "mapped": sum(1 for r in rows if r["quickbooks"]),
            "missing": sum(1 for r in rows if r["missing_in_quickbooks"]),
        }
        for name, rows in found["categories"].items()
    }
    return page("mappings.html", found=found, summary=summary)


@admin.route("/connectors/<ref>/mappings/<category>", methods=["GET", "POST"])
@signed_in
def mapping_category(ref: str, category: str) -> Any:
    """One category's codes as one form; saving maps, remaps or clears each changed row."""
    from web.views import mapping_page

    engine, settings = _deps()
    try:
        found = mapping_page(settings, engine, ref, category)
    except DomainError as refusal:
        return not_found("Mappings", refusal)
    if request.method == "POST":
        changed, refused = _save(engine, settings, found)
        for line in changed:
            flash(line)
        for line in refused:
            flash(line, "error")
        if not changed and not refused:
            flash("Nothing changed.")
        return redirect(url_for("admin.mapping_category", ref=ref, category=found["category"]))
    return page(
        "mapping_category.html",
        found=found,
        long=len(found["choices"]) > LONG_LIST,
        current=lambda row: _shown(row),
    )


def _shown(row: dict[str, Any]) -> str:
    target = row["quickbooks"]
    if not target:
        return DEFAULT
    return str(target.get("special") or target.get("full_name") or "")


def _save(engine: Any, settings: Any, found: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Apply each row whose choice differs; what changed and what was refused, in words."""
    from web.views import set_mapping

    by = actor()
    changed, refused = [], []
    for row in found["categories"][found["category"]]:
        field = f"map:{row['psa_id']}"
        if field not in request.form:
            continue
        wanted, was = request.form[field].strip(), _shown(row)
        if wanted == was:
            continue
        label = f"{row['psa_name']} ({row['psa_id']})"
        try:
            if wanted == DEFAULT:
                engine.clear_mapping(found["connector_id"], found["category"], row["psa_id"], by=by)
                changed.append(f"{label}: {was} → the default ({found['default'] or 'none'})")
            else:
                done = set_mapping(
                    settings, engine, found["connector_id"], found["category"], row["psa_id"],
                    wanted, by,
                )  # fmt: skip
                target = done["quickbooks"]
                now = target.get("special") or target.get("full_name")
                changed.append(f"{label}: {was or 'the default'} → {now}")
        except DomainError as refusal:
            refused.append(f"{label}: {refusal.message}")
    return changed, refused

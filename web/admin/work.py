"""Pages for what goes where: a connector's naming conventions, which connector each
organization's and resource's work goes to, and the Ready to Transfer queues per type (mark
ready, withdraw, requeue)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from engine.errors import DomainError
from engine.naming import ITEM_NAMING, OVERFLOW_POLICIES
from engine.psa import document_kind
from web.admin import actor, admin, not_found, page, query_arg, query_args, signed_in

TYPES = {
    "invoices": "Invoices",
    "timesheets": "Timesheets",
    "expense_reports": "Expense reports",
    "purchase_orders": "Purchase orders",
}
ASSIGNABLE = {"organizations": "Organizations", "resources": "Resources"}


def _deps() -> tuple[Any, Any]:
    from web import get_engine, get_settings

    return get_engine(), get_settings()


@admin.route("/connectors/<ref>/naming", methods=["GET", "POST"])
@signed_in
def naming(ref: str) -> Any:
    """Naming conventions: how new items are named, and what a name too long for QuickBooks
    does."""
    engine, _ = _deps()
    try:
        found = engine.get_connector(ref)
        if request.method == "POST":
            engine.change_connector(
                found["id"],
                item_naming=request.form.get("item_naming"),
                name_overflow=request.form.get("name_overflow"),
            )
            flash("Naming conventions saved.")
            return redirect(url_for("admin.naming", ref=found["id"]))
    except DomainError as refusal:
        if request.method == "GET":
            return not_found("Naming", refusal)
        flash(refusal.message, "error")
        return redirect(url_for("admin.naming", ref=ref))
    return page("naming.html", connector=found, namings=ITEM_NAMING, overflows=OVERFLOW_POLICIES)


@admin.route("/assignments/<kind>", methods=["GET", "POST"])
@signed_in
def assignments(kind: str) -> Any:
    """Which web connector each organization's (or resource's) work goes to."""
    from web.views import psa_records

    if kind not in ASSIGNABLE:
        return page("error.html", 404, title="Assignments", message=f"no such page {kind!r}")
    engine, settings = _deps()
    if request.method == "POST":
        changed = 0
        for field, value in request.form.items():
            if not field.startswith("to:") or value == request.form.get(f"was:{field[3:]}"):
                continue
            try:
                engine.assign(kind, field[3:], value or None, by=actor())
                changed += 1
            except DomainError as refusal:
                flash(f"{field[3:]}: {refusal.message}", "error")
        flash(f"{changed} assignment{'' if changed == 1 else 's'} changed.")
        back = query_args().get("search")
        return redirect(url_for("admin.assignments", kind=kind, search=back))
    try:
        search = query_arg("search") or None
    except DomainError as refusal:
        return not_found("Assignments", refusal)
    rows = psa_records(settings, engine, kind, None, search)
    return page(
        "assignments.html",
        kind=kind,
        title=ASSIGNABLE[kind],
        rows=rows,
        connectors=engine.list_connectors(),
        search=search or "",
    )


@admin.route("/queues/<kind>", methods=["GET", "POST"])
@signed_in
def queues(kind: str) -> Any:
    """One type's documents: Not ready (to mark ready), Ready to Transfer (to withdraw), and
    the Pending/Failed transfers (to requeue)."""
    from web.views import documents_list, transfers_list

    if kind not in TYPES:
        return page("error.html", 404, title="Queues", message=f"no such queue {kind!r}")
    engine, settings = _deps()
    if request.method == "POST":
        _act(engine, kind)
        return redirect(url_for("admin.queues", kind=kind))
    return page(
        "queues.html",
        kind=kind,
        types=TYPES,
        not_ready=documents_list(settings, engine, [kind], "not_ready"),
        ready=documents_list(settings, engine, [kind], "ready"),
        failed=transfers_list(settings, engine, kind=kind, status="pending_failed"),
        connectors={c["id"]: c["name"] for c in engine.list_connectors()},
    )


def _act(engine: Any, kind: str) -> None:
    action, chosen = request.form.get("action"), request.form.getlist("chosen")
    if not chosen:
        flash("Select at least one document first.", "error")
        return
    try:
        if action == "ready":
            engine.mark_ready(kind, chosen, by=actor())
            flash(f"Marked ready: {', '.join(chosen)}.")
        elif action == "withdraw":
            engine.withdraw(kind, chosen, by=actor())
            flash(f"Withdrawn: {', '.join(chosen)}.")
        elif action == "requeue":
            by_connector: dict[str, list[str]] = {}
            for item in chosen:
                connector_id, _, psa_id = item.partition("/")
                by_connector.setdefault(connector_id, []).append(psa_id)
            for connector_id, psa_ids in by_connector.items():
                engine.requeue_transfers(connector_id, document_kind(kind), psa_ids, by=actor())
            flash(f"Requeued: {', '.join(i.partition('/')[2] for i in chosen)}.")
        else:
            flash("Choose what to do with the selected documents.", "error")
    except DomainError as refusal:
        flash(refusal.message, "error")

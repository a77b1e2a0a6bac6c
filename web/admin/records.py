"""Pages for what happened: the sessions log with each exchange, a connector's inventory
synchronization history, a document's audit story (`audit replay` as a page), and the read
models' status with a rebuild button."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, request, url_for

from engine.audit import AuditLog, parse_moment
from engine.errors import DomainError, InvalidValue
from engine.psa import document_kind
from web.admin import admin, not_found, page, query_arg, query_args, signed_in


def _deps() -> tuple[Any, Any]:
    from web import get_engine, get_settings

    return get_engine(), get_settings()


@admin.route("/sessions")
@signed_in
def sessions() -> Any:
    """The latest QBWC sessions, newest first."""
    from web.views import sessions_list

    engine, settings = _deps()
    return page("sessions.html", sessions=sessions_list(settings, engine, None, 200))


@admin.route("/sessions/<ref>")
@signed_in
def session(ref: str) -> Any:
    """One session and each of its exchanges (the qbXML opens in the exchange viewer)."""
    from web.views import session_detail

    engine, settings = _deps()
    try:
        found = session_detail(settings, engine, ref, with_xml=False)
    except DomainError as refusal:
        return not_found("Session", refusal)
    return page("session.html", session=found)


@admin.route("/connectors/<ref>/inventory")
@signed_in
def inventory(ref: str) -> Any:
    """Inventory Synchronization History: each run, newest first, with what it skipped."""
    engine, _ = _deps()
    try:
        connector = engine.get_connector(ref)
        found = engine.inventory_history(ref)
    except DomainError as refusal:
        return not_found("Inventory", refusal)
    return page("inventory.html", connector=connector, history=found)


@admin.route("/audit")
@signed_in
def audit() -> Any:
    """A document's story from the event log, up to a moment if asked."""
    engine, _ = _deps()
    shown = query_args()
    context: dict[str, Any] = {
        "document": shown.get("document", ""),
        "as_of": shown.get("as_of", ""),
        "story": None,
    }
    if not context["document"]:
        return page("audit.html", **context)
    try:
        document, as_of = query_arg("document"), query_arg("as_of")
        kind, sep, psa_id = document.partition(":")
        if not sep or not psa_id.strip():
            raise InvalidValue("name the document as TYPE:ID, for example invoice:INV-5001")
        moment = parse_moment(as_of) if as_of else None
        story = AuditLog(engine, qbxml=False).document(document_kind(kind), psa_id.strip(), moment)
    except DomainError as refusal:
        return page("audit.html", refusal.status, error=refusal.message, **context)
    context["story"] = story.as_dict()
    context["shown"] = lambda value: json.dumps(value, sort_keys=True, default=str)
    return page("audit.html", **context)


@admin.route("/projections", methods=["GET", "POST"])
@signed_in
def projections() -> Any:
    """Each read model's position and lag; rebuilding one asks for confirmation first."""
    from projections.runtime import READ_MODELS, read_model_status, rebuild

    engine, settings = _deps()
    name = (request.values.get("name") or "").lower()
    if request.method == "POST":
        if name not in READ_MODELS:
            flash(f"no read model {name!r}", "error")
        elif request.form.get("confirmed") != "yes":
            return page("rebuild_confirm.html", model=READ_MODELS[name].name, name=name)
        else:
            try:
                applied = rebuild(settings, engine, name)
                flash(f"{READ_MODELS[name].name} rebuilt from {applied} events and swapped in.")
            except DomainError as refusal:
                flash(refusal.message, "error")
        return redirect(url_for("admin.projections"))
    status = {
        model.name: {"key": key, **read_model_status(settings, engine, key)}
        for key, model in READ_MODELS.items()
    }
    head = engine.recorder.max_notification_id() or 0
    return page("projections.html", models=status, head=head)

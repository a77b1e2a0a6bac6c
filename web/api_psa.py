"""The JSON API for the PSA's side: import, documents, assignments, mappings and the readiness
check. Same authentication and error shape as the rest of /api/v1."""

from __future__ import annotations

from flask import g, jsonify, request

from engine.errors import InvalidValue
from engine.psa import DOCUMENT_KINDS, document_kind, schema
from engine.psa.importing import ImportRefused
from engine.text import parse_json
from web import get_engine, get_settings
from web.api_common import api_blueprint, body, field, only
from web.views import documents_list, mappings, readiness, set_mapping

psa_api = api_blueprint("psa_api", __name__)


def _flag(name: str) -> bool:
    value = request.args.get(name, "").lower()
    if value not in ("", "0", "1", "true", "false", "yes", "no"):
        raise InvalidValue(f"query parameter {name!r} must be true or false")
    return value in ("1", "true", "yes")


@psa_api.get("/import/schema")
def import_schema():
    return jsonify(schema())


@psa_api.post("/import")
def import_file():
    """Import a qbtransfer-psa/1 document (the request body); ?dry_run=1, ?continue_on_error=1."""
    data = parse_json(request.get_data(), "the request body")
    try:
        report = get_engine().import_psa(
            data, by=g.actor, dry_run=_flag("dry_run"), continue_on_error=_flag("continue_on_error")
        )
    except ImportRefused as refused:
        return jsonify(error="invalid", detail=refused.message, report=refused.report), 422
    return jsonify(report)


@psa_api.get("/documents")
def list_documents():
    document_type = request.args.get("type")
    kinds = [document_kind(document_type)] if document_type else list(DOCUMENT_KINDS)
    status = request.args.get("status") or None
    since = request.args.get("since") or None
    return jsonify(documents=documents_list(get_settings(), get_engine(), kinds, status, since))


@psa_api.get("/documents/<document_type>/<document_id>")
def show_document(document_type: str, document_id: str):
    return jsonify(get_engine().get_document(document_type, document_id))


@psa_api.post("/documents/<document_type>/<document_id>/ready")
def ready_document(document_type: str, document_id: str):
    return jsonify(get_engine().mark_ready(document_type, [document_id], by=g.actor)[0])


@psa_api.post("/documents/<document_type>/<document_id>/withdraw")
def withdraw_document(document_type: str, document_id: str):
    return jsonify(get_engine().withdraw(document_type, [document_id], by=g.actor)[0])


@psa_api.post("/<any(organizations, resources):kind>/<psa_id>/assign")
def assign(kind: str, psa_id: str):
    """{"connector": ID or name} sends the work there; {"connector": null}, to the default."""
    data = body()
    only(data, {"connector"})
    if "connector" not in data:
        raise InvalidValue("'connector' is required (null for the default connector)")
    connector = field(data, "connector", str)
    return jsonify(get_engine().assign(kind, psa_id, connector, by=g.actor))


@psa_api.get("/connectors/<ref>/mappings")
def show_mappings(ref: str):
    return jsonify(mappings(get_settings(), get_engine(), ref, request.args.get("category")))


@psa_api.put("/connectors/<ref>/mappings/<category>/<psa_id>")
def put_mapping(ref: str, category: str, psa_id: str):
    """{"quickbooks": "full name or ListID"}."""
    data = body()
    only(data, {"quickbooks"})
    target = field(data, "quickbooks", str, required=True)
    return jsonify(
        set_mapping(get_settings(), get_engine(), ref, category, psa_id, target, g.actor)
    )


@psa_api.delete("/connectors/<ref>/mappings/<category>/<psa_id>")
def delete_mapping(ref: str, category: str, psa_id: str):
    return jsonify(get_engine().clear_mapping(ref, category, psa_id, by=g.actor))


@psa_api.get("/connectors/<ref>/check")
def check(ref: str):
    return jsonify(readiness(get_settings(), get_engine(), ref))

"""The JSON API for transfers: the queues, requeuing and correcting a transfer, and the
transfer history (JSON or CSV). Same authentication and error shape as the rest of /api/v1."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from engine.errors import InvalidValue
from web import get_engine, get_settings
from web.api_common import api_blueprint
from web.views import history, history_csv, transfers_list

transfers_api = api_blueprint("transfers_api", __name__)


def _number(name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise InvalidValue(f"query parameter {name!r} must be a whole number")
    return int(value)


@transfers_api.get("/transfers")
def list_transfers():
    found = transfers_list(
        get_settings(),
        get_engine(),
        connector=request.args.get("connector") or None,
        kind=request.args.get("type") or None,
        status=request.args.get("status") or None,
        limit=min(_number("limit", 100), 1000),
    )
    return jsonify(transfers=found)


@transfers_api.get("/connectors/<ref>/transfers/<document_type>/<document_id>")
def show_transfer(ref: str, document_type: str, document_id: str):
    return jsonify(get_engine().get_transfer(document_type, document_id, ref))


@transfers_api.post("/connectors/<ref>/transfers/<document_type>/<document_id>/requeue")
def requeue_transfer(ref: str, document_type: str, document_id: str):
    return jsonify(get_engine().requeue_transfers(ref, document_type, [document_id], by=g.actor)[0])


@transfers_api.post(
    "/connectors/<ref>/transfers/<document_type>/<document_id>/mark-not-transferred"
)
def mark_not_transferred(ref: str, document_type: str, document_id: str):
    return jsonify(get_engine().mark_not_transferred(ref, document_type, document_id, by=g.actor))


@transfers_api.get("/history")
def transfer_history():
    """?connector, type, result (ok|failed|in-doubt|skipped), since, until, document
    (TYPE:ID), limit, page; ?format=csv for accountants."""
    args = request.args
    found = history(
        get_settings(),
        get_engine(),
        connector=args.get("connector") or None,
        kind=args.get("type") or None,
        result=args.get("result") or None,
        since=args.get("since") or None,
        until=args.get("until") or None,
        document=args.get("document") or None,
        limit=_number("limit", 100),
        page=_number("page", 1),
    )
    fmt = args.get("format") or "json"
    if fmt == "csv":
        return Response(history_csv(found["rows"]), mimetype="text/csv")
    if fmt != "json":
        raise InvalidValue("format must be json or csv")
    return jsonify(found)

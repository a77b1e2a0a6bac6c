"""The JSON API for QBWC sessions: the latest ones, and one with every exchange (its qbXML on
request). Same authentication and error shape as the rest of /api/v1."""

from __future__ import annotations

from flask import jsonify, request

from engine.errors import InvalidValue
from web import get_engine, get_settings
from web.api_common import api_blueprint
from web.views import session_detail, sessions_list

sessions_api = api_blueprint("sessions_api", __name__)
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


@sessions_api.get("/sessions")
def list_sessions():
    limit_text = request.args.get("limit") or "50"
    if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        raise InvalidValue("query parameter 'limit' must be a whole number from 1 to 1000")
    found = sessions_list(
        get_settings(), get_engine(), request.args.get("connector") or None, int(limit_text)
    )
    return jsonify(sessions=found)


@sessions_api.get("/sessions/<ref>")
def show_session(ref: str):
    flag = (request.args.get("xml") or "").lower()
    if flag not in FLAGS:
        raise InvalidValue("query parameter 'xml' must be 1 or 0")
    return jsonify(session_detail(get_settings(), get_engine(), ref, with_xml=FLAGS[flag]))

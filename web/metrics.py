"""`GET /metrics`: the Prometheus text format. Off (404) unless METRICS=on; METRICS=token asks
for an admin API token, as the JSON API does."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from web import get_engine, get_settings, get_telemetry

metrics = Blueprint("metrics", __name__)


@metrics.get("/metrics")
def scrape() -> Response | tuple[Response, int]:
    """Every metric, as Prometheus scrapes them."""
    mode = get_settings().metrics
    if mode == "off":
        abort(404)
    engine = get_engine()
    if mode == "token":
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or engine.authenticate_token(token.strip()) is None:
            answer = jsonify(
                error="unauthorized", detail="METRICS=token: send 'Authorization: Bearer <token>'"
            )
            answer.headers["WWW-Authenticate"] = "Bearer"
            return answer, 401
    body = generate_latest(get_telemetry().scrape_registry(engine))
    return Response(body, content_type=CONTENT_TYPE_LATEST)

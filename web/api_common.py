"""What every JSON API blueprint shares: bearer-token authentication, errors as
`{"error": ..., "detail": ...}` with a 4xx status, and reading request bodies strictly."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import DomainError, InvalidValue
from engine.text import brief, check_document, check_text, excerpt, parse_json
from web import get_engine

log = logging.getLogger("qbtransfer.api")


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def _api_error(exc: ApiError):
    _log_refusal(exc.status, exc.error)
    return jsonify(error=exc.error, detail=brief(exc.detail)), exc.status


def _domain_error(exc: DomainError):
    status = exc.status if 400 <= exc.status < 500 else 422
    _log_refusal(status, exc.code)
    return jsonify(error=exc.code, detail=brief(exc.message)), status


def _log_refusal(status: int, error: str) -> None:
    """One line per refused API request: what was asked and the error's code (the detail may
    quote the request, so it stays in the answer)."""
    log.info(
        "api %s %s refused status=%s error=%s",
        request.method,
        request.path,
        status,
        error,
        extra={"event": "api_refused", "status": status, "error": error},
    )


def http_error(exc: HTTPException):
    """Any HTTP error (404, 405, 413, ...) in the API's JSON shape."""
    error = exc.name.lower().replace(" ", "_")
    return jsonify(error=error, detail=brief(exc.description or exc.name)), exc.code


def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'")
    name = get_engine().authenticate_token(token.strip())
    if name is None:
        raise ApiError(401, "unauthorized", "the API token is unknown or revoked")
    g.actor = f"token:{name}"


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint with the API's authentication and error handling (HTTP errors anywhere
    under /api/, routing ones included, are the app's: web._http_error)."""
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(_authenticate)
    blueprint.before_request(_check_url)
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(DomainError, _domain_error)
    return blueprint


def body(optional: bool = False) -> dict[str, Any]:
    """The request's JSON object, every string in it storable (engine.text); with `optional`,
    an empty body is an empty object."""
    raw = request.get_data()
    if optional and not raw.strip():
        return {}
    data = parse_json(raw, "the request body")
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "the request body must be a JSON object")
    return check_document(data)


def _check_url() -> None:
    """Path segments and query parameters carry no unstorable characters either."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            check_text(value, f"the path's {name}")
    for name, value in request.args.items(multi=True):
        check_text(name, "a query parameter's name")
        check_text(value, f"the query parameter {excerpt(name)}")


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], required: bool = False):
    """A typed field of a request body; refuses a wrong type, naming the field."""
    if name not in data or data[name] is None:
        if required:
            raise InvalidValue(f"{name!r} is required")
        return None
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InvalidValue(f"{name!r} must be a {names}")
    return value


def only(data: dict[str, Any], allowed: set[str]) -> None:
    """Refuse fields the endpoint does not know (a typo must not be ignored)."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidValue(f"unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")

"""Every way into qbtransfer: the web app (support page, JSON API, later the SOAP endpoint and
admin pages) and the `qbtransfer` command line."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from engine.application import TransferEngine
from engine.settings import Settings

ENGINE_KEY = "qbtransfer.engine"


def create_app(settings: Settings | None = None, engine: TransferEngine | None = None) -> Flask:
    """Build the Flask app. The engine is created lazily, once per process, so gunicorn workers
    never inherit an open database pool across fork()."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["QBTRANSFER_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024  # QBWC's own post limit
    # A Host header naming anyone else is refused (400), and routing never redirects (a
    # redirect would be built from the Host the request claims).
    app.config["TRUSTED_HOSTS"] = settings.trusted_hosts
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.after_request(_security_headers)
    app.extensions[ENGINE_KEY] = _EngineHolder(settings, engine)

    from web.api import api
    from web.api_psa import psa_api
    from web.api_transfers import transfers_api
    from web.openapi import openapi
    from web.qbwc.routes import qbwc
    from web.support import support

    app.register_blueprint(support)
    app.register_blueprint(openapi)
    app.register_blueprint(qbwc)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(psa_api, url_prefix="/api/v1")
    app.register_blueprint(transfers_api, url_prefix="/api/v1")
    app.register_error_handler(HTTPException, _http_error)
    return app


API_PREFIX = "/api/"  # JSON errors, and nothing cached (tokens, .qwc files, settings)


def _security_headers(response: Response) -> Response:
    """Headers every answer carries: nothing is sniffed as another type, nothing is framed;
    API answers (tokens, .qwc files, settings) are never cached."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith(API_PREFIX):
        response.headers["Cache-Control"] = "no-store"
    return response


def _http_error(exc: HTTPException) -> Any:
    """Errors no blueprint answered (an unknown path or a wrong method under /api/, which no
    route matched): the API's JSON shape there, Werkzeug's plain page elsewhere."""
    from web.api_common import http_error

    if request.path.startswith(API_PREFIX):
        return http_error(exc)
    return exc


def get_engine() -> TransferEngine:
    """The process's engine, for use inside a request."""
    return current_app.extensions[ENGINE_KEY].get()


def get_view(name: str) -> Any:
    """A read model's view for this process, inside a request."""
    return current_app.extensions[ENGINE_KEY].view(name)


def get_settings() -> Settings:
    """The settings the app was built with."""
    return current_app.config["QBTRANSFER_SETTINGS"]


class _EngineHolder:
    def __init__(self, settings: Settings, engine: TransferEngine | None) -> None:
        self._settings = settings
        self._engine = engine
        self._views: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self) -> TransferEngine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    from web.bootstrap import bootstrap

                    self._engine = bootstrap(self._settings)
        return self._engine

    def view(self, name: str) -> Any:
        """A read model's view, opened once per process (each holds a connection pool)."""
        with self._lock:
            if name not in self._views:
                from projections.runtime import open_view

                self._views[name] = open_view(self._settings, name)
            return self._views[name]

    def close_views(self) -> None:
        with self._lock:
            for view in self._views.values():
                view.close()
            self._views.clear()

    def close(self) -> None:
        self.close_views()
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __repr__(self) -> str:
        state: Any = "open" if self._engine is not None else "not opened"
        return f"<engine {state}>"

"""Every way into qbtransfer: the web app (support page, JSON API, the SOAP endpoint and the
admin pages) and the `qbtransfer` command line."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from engine.application import TransferEngine
from engine.settings import Settings

if TYPE_CHECKING:
    from web.telemetry import Telemetry

ENGINE_KEY = "qbtransfer.engine"
PUBLIC_URL_KEY = "qbtransfer.public_url"
TELEMETRY_KEY = "qbtransfer.telemetry"


def create_app(settings: Settings | None = None, engine: TransferEngine | None = None) -> Flask:
    """Build the Flask app. The engine is created lazily, once per process, so gunicorn workers
    never inherit an open database pool across fork()."""
    settings = (settings or Settings.from_env()).for_serving()
    app = Flask(__name__)
    app.config["QBTRANSFER_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024  # QBWC's own post limit
    # A Host header naming anyone else is refused (400), and routing never redirects (a
    # redirect would be built from the Host the request claims).
    app.config["TRUSTED_HOSTS"] = settings.trusted_hosts
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.after_request(_security_headers)
    from web import logs
    from web.telemetry import Telemetry

    logs.configure(settings)
    telemetry = Telemetry(settings)
    app.extensions[TELEMETRY_KEY] = telemetry
    holder = _EngineHolder(settings, engine, on_open=telemetry.watch)
    app.extensions[ENGINE_KEY] = holder
    app.extensions[PUBLIC_URL_KEY] = stored = _StoredPublicUrl(settings, holder)
    app.wsgi_app = _trusting_the_stored_host(app, settings, stored)  # type: ignore[method-assign]

    from web.api import api
    from web.api_psa import psa_api
    from web.api_sessions import sessions_api
    from web.api_transfers import transfers_api
    from web.metrics import metrics
    from web.openapi import openapi
    from web.qbwc.routes import qbwc
    from web.support import support

    app.register_blueprint(support)
    app.register_blueprint(openapi)
    app.register_blueprint(metrics)
    app.register_blueprint(qbwc)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(psa_api, url_prefix="/api/v1")
    app.register_blueprint(transfers_api, url_prefix="/api/v1")
    app.register_blueprint(sessions_api, url_prefix="/api/v1")
    from web import admin

    admin.install(app, settings)  # after the others: it exempts them from CSRF
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
    if request.path.startswith((API_PREFIX, "/admin/")):
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


def get_telemetry() -> Telemetry:
    """The app's logs and metrics."""
    return current_app.extensions[TELEMETRY_KEY]


def get_settings() -> Settings:
    """The settings the app was built with."""
    return current_app.config["QBTRANSFER_SETTINGS"]


def get_public_url() -> str:
    """The address QBWC and browsers reach this server at: PUBLIC_URL, else the stored one,
    else localhost (the same answer the command line gives)."""
    return get_settings().public_url_with(current_app.extensions[PUBLIC_URL_KEY].stored())


def forget_public_url() -> None:
    """Read the stored public URL again at the next request (it was just changed)."""
    current_app.extensions[PUBLIC_URL_KEY].forget()


class _StoredPublicUrl:
    """The public URL stored in the account, read again at most every few seconds: another
    process (the command line) may change it while this one serves."""

    TTL_SECONDS = 5.0

    def __init__(self, settings: Settings, holder: _EngineHolder) -> None:
        self._settings, self._holder = settings, holder
        self._value: str | None = None
        self._read_at = float("-inf")

    def stored(self) -> str | None:
        if self._settings.public_url:  # PUBLIC_URL overrides: no need to look
            return None
        now = time.monotonic()
        if now - self._read_at >= self.TTL_SECONDS:
            # An unreachable store keeps the last answer; the request itself will say why.
            with contextlib.suppress(Exception):
                self._value = self._holder.get().stored_public_url()
            self._read_at = now
        return self._value

    def forget(self) -> None:
        self._read_at = float("-inf")


def _trusting_the_stored_host(app: Flask, settings: Settings, stored: _StoredPublicUrl) -> Any:
    """The WSGI app, trusting the stored public URL's host as well (Flask reads TRUSTED_HOSTS
    before any request hook runs)."""
    inner = app.wsgi_app

    def wsgi_app(environ: Any, start_response: Any) -> Any:
        app.config["TRUSTED_HOSTS"] = settings.hosts_with(stored.stored())
        return inner(environ, start_response)

    return wsgi_app


class _EngineHolder:
    def __init__(
        self,
        settings: Settings,
        engine: TransferEngine | None,
        on_open: Callable[[TransferEngine], None],
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._on_open = on_open
        self._views: dict[str, Any] = {}
        self._lock = threading.Lock()
        if engine is not None:
            on_open(engine)

    def get(self) -> TransferEngine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    from web.bootstrap import bootstrap

                    engine = bootstrap(self._settings)
                    self._on_open(engine)
                    self._engine = engine
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

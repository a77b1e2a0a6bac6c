"""Every way into qbtransfer: the web app (support page, JSON API, later the SOAP endpoint and
admin pages) and the `qbtransfer` command line."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

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
    app.extensions[ENGINE_KEY] = _EngineHolder(settings, engine)

    from web.api import api
    from web.api_psa import psa_api
    from web.qbwc.routes import qbwc
    from web.support import support

    app.register_blueprint(support)
    app.register_blueprint(qbwc)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(psa_api, url_prefix="/api/v1")
    return app


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
                    self._engine = TransferEngine(env=self._settings.eventstore_env())
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

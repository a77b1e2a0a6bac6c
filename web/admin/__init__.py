"""The admin pages: server-rendered with Jinja2 on the engine's commands and read models, behind
a sign-in for admin users, every form carrying a CSRF token (Flask-WTF).

Routes only translate between HTTP and the engine: what is allowed, and why not, is the
engine's to say; a refusal is shown on the page it came from.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect

from engine.errors import DomainError, InvalidValue, NotFound
from engine.settings import Settings
from engine.text import SECRET_FIELDS, excerpt, unstorable

admin = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")
csrf = CSRFProtect()
SESSION_HOURS = 8
SECRET_FILE = Path("var") / "web-secret-key"


def install(app: Flask, settings: Settings) -> None:
    """The admin pages on `app`: the session cookie's key and flags, CSRF on every form (the
    machine interfaces authenticate otherwise: exempt), and the blueprint's routes."""
    app.config["SECRET_KEY"] = settings.secret_key or _kept_secret(settings.base_dir)
    app.config["SESSION_COOKIE_NAME"] = "qbtransfer_admin"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Secure unless the server is reached over plain http (a development machine).
    app.config["SESSION_COOKIE_SECURE"] = not settings.effective_public_url.startswith("http:")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=SESSION_HOURS)
    app.config["WTF_CSRF_TIME_LIMIT"] = SESSION_HOURS * 3600
    app.config["WTF_CSRF_SSL_STRICT"] = False  # Referer checks break behind TLS proxies
    csrf.init_app(app)
    from web.admin import (  # noqa: F401  (their routes)
        auth,
        connector_page,
        connectors,
        history,
        mappings,
        people,
        records,
        work,
    )

    app.register_blueprint(admin)
    for name, blueprint in app.blueprints.items():
        if name != admin.name:
            csrf.exempt(blueprint)


def _kept_secret(base_dir: Path) -> str:
    """A random key kept in var/ (created once, readable by its owner only)."""
    path = base_dir / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        # Owner-only from its first byte: the key is never readable by others, not even
        # between writing it and fixing its mode.
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages for signed-in admins: anyone else goes to the sign-in page. The user is looked
    up on every request, so one locked or made inactive meanwhile is signed out."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from web import get_engine

        username = session.get("admin")
        user = None
        if username:
            try:
                user = get_engine().get_user(username)
            except NotFound:
                user = None
        if user is None or user["status"] != "active" or user["security_level"] != "admin":
            session.clear()
            return redirect(url_for("admin.login", next=request.path))
        g.admin = user
        return view(*args, **kwargs)

    return wrapper


QUERY_MAX = 200  # characters of a search or filter (a page quotes it back; never more)


def query_arg(name: str) -> str:
    """A query-string value, stripped; InvalidValue when it is longer than any real filter."""
    value = (request.args.get(name) or "").strip()
    if len(value) > QUERY_MAX:
        raise InvalidValue(f"{name} is longer than {QUERY_MAX} characters")
    return value


def query_args() -> dict[str, str]:
    """The query string as a page shows it back (each value cut to QUERY_MAX)."""
    return {name: value[:QUERY_MAX] for name, value in request.args.items()}


def actor() -> str:
    """Who does what a page does, for the audit trail."""
    return f"admin:{g.admin['username']}"


def changed(change: Callable[[], str], back: str) -> Any:
    """Run `change` (one engine command), say on the next page what it did or why the engine
    refused, and go `back` (POST, redirect, GET)."""
    try:
        flash(change())
    except DomainError as refusal:
        flash(refusal.message, "error")
    return redirect(back)


def not_found(title: str, refusal: DomainError) -> tuple[str, int]:
    """The page for what a link names and the engine does not know."""
    return page("error.html", refusal.status, title=title, message=refusal.message)


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page of the admin site."""
    return render_template(f"admin/{template}", **context), status


def refused(template: str, error: DomainError, **context: Any) -> tuple[str, int]:
    """The page the refused request came from, with the engine's reason on it."""
    status = error.status if error.status < 500 else 422
    return page(template, status, error=error.message, **context)


@admin.before_request
def _storable_input() -> Any:
    """A page's input that holds a character nothing can store (NUL, a lone surrogate...) is
    refused before anything reads it, as the command line and the API refuse it."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            problem = unstorable(name) or unstorable(value)
            if problem is not None:
                field = "a field" if name in SECRET_FIELDS else excerpt(name)
                return page(
                    "error.html",
                    400,
                    title="Refused",
                    message=f"{field} holds a character that cannot be stored ({problem}).",
                )
    return None


@admin.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return page(
        "error.html",
        400,
        title="Form expired or forged",
        message=f"The form was refused: {error.description} Reload the page and try again.",
    )

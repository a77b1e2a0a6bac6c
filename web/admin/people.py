"""Pages for who may do what: users (create, activate, deactivate, unlock, new password), API
tokens (create, shown once; revoke) and the account (status, password policy, public URL)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for

from engine.errors import DomainError, InvalidValue
from web.admin import actor, admin, changed, page, signed_in

STATUSES = ("active", "inactive", "locked")


def _engine() -> Any:
    from web import get_engine

    return get_engine()


@admin.route("/users", methods=["GET", "POST"])
@signed_in
def users() -> Any:
    """Every user; a new admin or API-only user."""
    engine = _engine()
    if request.method == "POST":
        form = request.form
        level = "api_only" if form.get("api_only") else "admin"
        try:
            engine.create_user(
                (form.get("username") or "").strip(),
                security_level=level,
                tracking_id=form.get("tracking_id") or None,
                display_name=form.get("display_name") or None,
                password=form.get("password") or None,
            )
            flash(f"User {form.get('username')!r} created.")
            return redirect(url_for("admin.users"))
        except DomainError as refusal:  # the form is shown again; never the password
            kept = {k: form.get(k, "") for k in ("username", "display_name", "tracking_id")}
            return page(
                "users.html", refusal.status, error=refusal.message, users=engine.list_users(),
                kept=kept, statuses=STATUSES,
            )  # fmt: skip
    return page("users.html", users=engine.list_users(), kept={}, statuses=STATUSES)


@admin.route("/users/<username>", methods=["POST"])
@signed_in
def change_user(username: str) -> Any:
    """A user's new status (active also unlocks) or new password."""
    engine = _engine()
    status = request.form.get("status") or None
    password = request.form.get("password") or None

    def change() -> str:
        if status is None and password is None:
            raise InvalidValue("choose a status or give a new password")
        if username == g.admin["username"] and status not in (None, "active"):
            raise InvalidValue("you cannot deactivate or lock yourself; ask another admin")
        engine.change_user(username, status=status, password=password)
        return f"User {username!r} changed."

    return changed(change, url_for("admin.users"))


@admin.route("/tokens", methods=["GET", "POST"])
@signed_in
def tokens() -> Any:
    """API tokens; a new one's text is on this answer only, never again."""
    engine = _engine()
    created = None
    if request.method == "POST":
        try:
            created = engine.create_token((request.form.get("name") or "").strip())
        except DomainError as refusal:
            listed = engine.list_tokens()
            return page(
                "tokens.html", refusal.status, error=refusal.message, tokens=listed, created=None
            )
    return page("tokens.html", tokens=engine.list_tokens(), created=created)


@admin.route("/tokens/<ref>/revoke", methods=["POST"])
@signed_in
def revoke_token(ref: str) -> Any:
    """Revoke a token: the API refuses it from now on."""

    def revoke() -> str:
        return f"Token {_engine().revoke_token(ref)['name']!r} revoked."

    return changed(revoke, url_for("admin.tokens"))


@admin.route("/account", methods=["GET", "POST"])
@signed_in
def account() -> Any:
    """The account's status, password policy and public URL."""
    engine = _engine()
    if request.method == "POST":
        form = request.form
        try:
            expiry = (form.get("password_expiry_days") or "").strip()
            engine.change_account(
                status=form.get("status") or None,
                strong_passwords=bool(form.get("strong_passwords")),
                password_expiry_days=int(expiry) if expiry else None,
                lockout_attempts=int(form.get("lockout_attempts") or 0) or None,
                public_url=(form.get("public_url") or "").strip() or None,
                changed_by=actor(),
            )
            flash("Account saved.")
        except ValueError:
            flash("password expiry and lockout attempts are whole numbers", "error")
        except DomainError as refusal:
            flash(refusal.message, "error")
        return redirect(url_for("admin.account"))
    return page("account.html", account=engine.get_account())

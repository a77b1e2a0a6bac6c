"""Signing in and out of the admin pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import redirect, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.signin import SignInRefused
from web.admin import admin, page, refused, signed_in


class SignInForm(FlaskForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=100)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


@admin.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in page; admins only (API-only users are refused, with why)."""
    from web import get_engine

    form = SignInForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return page("login.html", status, form=form)
    try:
        user = get_engine().sign_in_admin(form.username.data or "", form.password.data or "")
    except SignInRefused as refusal:
        form.password.data = ""
        return refused("login.html", refusal, form=form)
    session.clear()  # a new session for the signed-in admin
    session.permanent = True
    session["admin"] = user["username"]
    return redirect(_local(request.args.get("next")) or url_for("admin.connectors"))


@admin.route("/logout", methods=["POST"])
@signed_in
def logout() -> Any:
    """Sign out (a POST with the form's CSRF token, so no other site can sign an admin out)."""
    session.clear()
    return redirect(url_for("admin.login"))


def _local(target: str | None) -> str | None:
    """`target` when it is a path of this site's admin pages (never another site)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin/"):
        return None
    return parts.path

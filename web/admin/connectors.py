"""The web connector pages: the list (the default first, marked), New Web Connector, and the
.qwc download (a connector's own page is web/admin/connector_page.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from engine.errors import DomainError
from web.admin import actor, admin, page, refused, signed_in


class NewConnectorForm(FlaskForm):
    """Name and the API user QBWC signs in as."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    api_user = SelectField("Communicate with QuickBooks As", choices=[])


@admin.route("/")
@signed_in
def home() -> Any:
    """The admin pages start at the connectors."""
    return redirect(url_for("admin.connectors"))


@admin.route("/connectors")
@signed_in
def connectors() -> Any:
    """Every web connector, the default first."""
    from web import get_engine

    return page("connectors.html", connectors=get_engine().list_connectors())


@admin.route("/connectors/new", methods=["GET", "POST"])
@signed_in
def new_connector() -> Any:
    """New Web Connector: a name and the API user it communicates with QuickBooks as."""
    from web import get_engine

    engine = get_engine()
    form = NewConnectorForm()
    users = engine.eligible_api_users()
    form.api_user.choices = [(u, u) for u in users]
    first = not engine.list_connectors()
    context = {"form": form, "users": users, "first": first}
    if not form.validate_on_submit():
        return page("connector_new.html", **context)
    try:
        made = engine.create_connector(name=form.name.data or "", api_username=form.api_user.data)
    except DomainError as refusal:
        return refused("connector_new.html", refusal, **context)
    return redirect(url_for("admin.connector", ref=made["id"]))


@admin.route("/connectors/<ref>/qwc", methods=["POST"])
@signed_in
def download_qwc(ref: str) -> Any:
    """Download .qwc File: a new registration, its file as a download."""
    from web import get_engine, get_public_url

    try:
        issued = get_engine().issue_qwc(ref, public_url=get_public_url(), issued_by=actor())
    except DomainError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("admin.connector", ref=ref))
    return Response(
        issued["qwc"],
        mimetype="application/x-qwc",
        headers={"Content-Disposition": f'attachment; filename="{issued["filename"]}"'},
    )

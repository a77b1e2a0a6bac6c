"""The JSON admin API under /api/v1, authenticated with the tokens `qbtransfer tokens create`
prints. Each route parses its input, calls one engine command and maps refusals to
`{"error": ..., "detail": ...}` with a 4xx status."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from engine.errors import InvalidValue
from engine.kinds import TransferKind
from engine.qwc import local_address_warning
from web import forget_public_url, get_engine, get_public_url, get_settings
from web.api_common import api_blueprint
from web.api_common import body as _body
from web.api_common import field as _field
from web.api_common import only as _only
from web.views import connector_detail

api = api_blueprint("api", __name__)


# -- account -----------------------------------------------------------------------------------


@api.get("/account")
def show_account():
    return jsonify(get_engine().get_account())


@api.patch("/account")
def change_account():
    data = _body()
    _only(
        data,
        {"status", "strong_passwords", "password_expiry_days", "lockout_attempts", "public_url"},
    )
    kwargs: dict[str, Any] = {
        "status": _field(data, "status", str),
        "strong_passwords": _field(data, "strong_passwords", bool),
        "lockout_attempts": _field(data, "lockout_attempts", int),
    }
    if "password_expiry_days" in data:
        kwargs["password_expiry_days"] = _field(data, "password_expiry_days", int)
    if "public_url" in data:
        kwargs["public_url"] = _field(data, "public_url", str)
    changed = get_engine().change_account(changed_by=g.actor, **kwargs)
    forget_public_url()
    return jsonify(changed)


# -- users -------------------------------------------------------------------------------------


@api.get("/users")
def list_users():
    return jsonify(users=get_engine().list_users())


@api.post("/users")
def create_user():
    data = _body()
    _only(data, {"username", "security_level", "tracking_id", "display_name", "password"})
    user = get_engine().create_user(
        _field(data, "username", str, required=True),
        security_level=_field(data, "security_level", str, required=True),
        tracking_id=_field(data, "tracking_id", str),
        display_name=_field(data, "display_name", str),
        password=_field(data, "password", str),
    )
    return jsonify(user), 201


@api.get("/users/<username>")
def show_user(username: str):
    return jsonify(get_engine().get_user(username))


@api.patch("/users/<username>")
def change_user(username: str):
    data = _body()
    _only(data, {"status", "password", "expire_password"})
    return jsonify(
        get_engine().change_user(
            username,
            status=_field(data, "status", str),
            password=_field(data, "password", str),
            expire_password=bool(_field(data, "expire_password", bool)),
        )
    )


# -- connectors --------------------------------------------------------------------------------

SETTING_FIELDS = {
    "transfer_invoices": TransferKind.INVOICES,
    "transfer_timesheets": TransferKind.TIMESHEETS,
    "transfer_expense_reports": TransferKind.EXPENSE_REPORTS,
    "transfer_purchase_orders": TransferKind.PURCHASE_ORDERS,
}


@api.get("/connectors")
def list_connectors():
    return jsonify(connectors=get_engine().list_connectors())


@api.post("/connectors")
def create_connector():
    data = _body()
    _only(data, {"name", "api_user"})
    connector = get_engine().create_connector(
        name=_field(data, "name", str, required=True),
        api_username=_field(data, "api_user", str, required=True),
    )
    return jsonify(connector), 201


@api.get("/connectors/<ref>")
def show_connector(ref: str):
    return jsonify(connector_detail(get_settings(), get_engine(), ref))


@api.get("/connectors/<ref>/inventory-syncs")
def inventory_history(ref: str):
    return jsonify(get_engine().inventory_history(ref))


@api.get("/connectors/<ref>/lists")
def list_sync_status(ref: str):
    return jsonify(get_engine().list_sync_status(ref))


@api.post("/connectors/<ref>/refresh-lists")
def refresh_lists(ref: str):
    data = _body(optional=True)
    _only(data, {"full"})
    full = bool(_field(data, "full", bool))
    return jsonify(get_engine().request_list_refresh(ref, full=full, requested_by=g.actor))


@api.post("/connectors/<ref>/sync-deletions")
def sync_deletions(ref: str):
    _only(_body(optional=True), set())
    return jsonify(get_engine().request_deletion_sync(ref))


@api.patch("/connectors/<ref>")
def change_connector(ref: str):
    data = _body()
    _only(
        data,
        set(SETTING_FIELDS)
        | {
            "name",
            "api_user",
            "sync_inventory_now",
            "emails",
            "auto_run_minutes",
            "income_account",
            "transfer_taxes_directly",
            "item_naming",
            "name_overflow",
            "transfer_cash_advances",
        },
    )
    transfers = {
        kind: value
        for field, kind in SETTING_FIELDS.items()
        if (value := _field(data, field, bool)) is not None
    }
    kwargs: dict[str, Any] = {}
    if "income_account" in data:
        kwargs["income_account"] = _field(data, "income_account", str)
    emails = data.get("emails")
    if isinstance(emails, list) and all(isinstance(e, str) for e in emails):
        emails = ";".join(emails)
    elif emails is not None and not isinstance(emails, str):
        raise InvalidValue("'emails' must be a ';'-separated string or a list of strings")
    return jsonify(
        get_engine().change_connector(
            ref,
            name=_field(data, "name", str),
            api_username=_field(data, "api_user", str),
            transfers=transfers,
            sync_inventory_now=bool(_field(data, "sync_inventory_now", bool)),
            emails=emails,
            auto_run_minutes=_field(data, "auto_run_minutes", int),
            transfer_taxes_directly=_field(data, "transfer_taxes_directly", bool),
            item_naming=_field(data, "item_naming", str),
            name_overflow=_field(data, "name_overflow", str),
            transfer_cash_advances=_field(data, "transfer_cash_advances", bool),
            **kwargs,
        )
    )


@api.post("/connectors/<ref>/qwc")
def download_qwc(ref: str):
    """A new .qwc file (and so a new registration) as a download."""
    data = _body(optional=True)
    _only(data, {"user"})
    public_url = get_public_url()
    issued = get_engine().issue_qwc(
        ref, public_url=public_url, issued_by=g.actor, username=_field(data, "user", str)
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{issued["filename"]}"',
        "X-Registration-Id": issued["registration_id"],
    }
    warning = local_address_warning(public_url)
    if warning:
        headers["X-Qbtransfer-Warning"] = warning
    return Response(issued["qwc"], mimetype="application/x-qwc", headers=headers)


@api.get("/connectors/<ref>/registrations")
def list_registrations(ref: str):
    return jsonify(registrations=get_engine().list_registrations(ref))


@api.get("/registrations/<registration_id>")
def show_registration(registration_id: str):
    return jsonify(get_engine().get_registration(registration_id))


@api.post("/registrations/<registration_id>/revoke")
def revoke_registration(registration_id: str):
    data = _body(optional=True)
    _only(data, {"reason"})
    reason = _field(data, "reason", str) or ""
    return jsonify(
        get_engine().revoke_registration(registration_id, reason=reason, revoked_by=g.actor)
    )


# -- API tokens ----------------------------------------------------------------------------------


@api.get("/tokens")
def list_tokens():
    return jsonify(tokens=get_engine().list_tokens())


@api.post("/tokens")
def create_token():
    """A new token; its text is in this answer and nowhere else, ever."""
    data = _body()
    _only(data, {"name"})
    return jsonify(get_engine().create_token(_field(data, "name", str, required=True))), 201


@api.post("/tokens/<ref>/revoke")
def revoke_token(ref: str):
    return jsonify(get_engine().revoke_token(ref))

"""A web connector's page, laid out as Autotask's "Edit Web Connector" steps: its settings as
one form, the company file's Refresh and Clear, and enabling a transfer type only after its
readiness check (and how many ready items it queues at once) has been shown."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import Length

from engine.errors import DomainError
from engine.qwc import local_address_warning
from web.admin import actor, admin, changed, not_found, page, refused, signed_in

INTUIT_WEB_CONNECTOR = (
    "https://developer.intuit.com/app/developer/qbdesktop/docs/get-started/"
    "get-started-with-quickbooks-web-connector"
)
KINDS = {
    "invoices": "Transfer Invoices",
    "timesheets": "Transfer Timesheets",
    "expense_reports": "Transfer Expense Reports",
    "purchase_orders": "Transfer Purchase Orders and Inventory",
}


class ConnectorForm(FlaskForm):
    """The connector's settings."""

    name = StringField("Name", validators=[Length(max=200)])
    api_user = SelectField("Communicate with QuickBooks As", choices=[])
    emails = StringField("E-mail addresses (separated by ;)", validators=[Length(max=2000)])
    transfer_invoices = BooleanField(KINDS["invoices"])
    transfer_timesheets = BooleanField(KINDS["timesheets"])
    transfer_expense_reports = BooleanField(KINDS["expense_reports"])
    transfer_purchase_orders = BooleanField(KINDS["purchase_orders"])
    sync_inventory = BooleanField("Sync Inventory during next QuickBooks-initiated communication")
    income_account = SelectField("Income account for new inventory items", choices=[])
    transfer_taxes_directly = BooleanField("Transfer Taxes Directly")
    confirmed = HiddenField()  # the readiness check was shown for what this switches on


def _engine_and_settings() -> tuple[Any, Any]:
    from web import get_engine, get_settings

    return get_engine(), get_settings()


@admin.route("/connectors/<ref>", methods=["GET", "POST"])
@signed_in
def connector(ref: str) -> Any:
    """Edit Web Connector."""
    from web.views import connector_detail, income_accounts

    engine, settings = _engine_and_settings()
    try:
        found = connector_detail(settings, engine, ref)
    except DomainError as refusal:
        return not_found("Web connector", refusal)
    form = ConnectorForm(data=None if request.method == "POST" else _values(found))
    users = engine.eligible_api_users()
    if found["api_user"] not in users:
        users = [found["api_user"], *users]  # shown as it is, even if no longer eligible
    form.api_user.choices = [(u, u) for u in users]
    accounts = income_accounts(settings, engine, found["id"])
    if found["income_account"] and found["income_account"] not in accounts:
        accounts = [found["income_account"], *accounts]  # shown as it is, even if gone
    form.income_account.choices = [("", "(none: items are created without one)")] + [
        (a, a) for a in accounts
    ]
    context = {"connector": found, "form": form, **_page_parts(found)}
    if request.method == "GET" or not form.validate_on_submit():
        return page("connector.html", 200 if request.method == "GET" else 400, **context)
    switched_on = [k for k in KINDS if form[f"transfer_{k}"].data and not found[f"transfer_{k}"]]
    if switched_on and form.confirmed.data != ",".join(switched_on):
        return _confirm_enabling(settings, engine, found, form, switched_on)
    try:
        engine.change_connector(found["id"], **_changes(form, found))
    except DomainError as refusal:
        return refused("connector.html", refusal, **context)
    flash(
        "Saved." + (f" Enabled: {', '.join(KINDS[k] for k in switched_on)}." if switched_on else "")
    )
    return redirect(url_for("admin.connector", ref=found["id"]))


def _confirm_enabling(
    settings: Any, engine: Any, found: dict, form: ConnectorForm, kinds: list[str]
) -> Any:
    from web.views import readiness

    report = readiness(settings, engine, found["id"])
    form.confirmed.data = ",".join(kinds)
    checks = {kind: report["types"][kind] for kind in kinds}
    return page("connector_enable.html", connector=found, form=form, checks=checks, kinds=KINDS)


def _values(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": found["name"],
        "api_user": found["api_user"],
        "emails": "; ".join(found["emails"]),
        **{f"transfer_{k}": found[f"transfer_{k}"] for k in KINDS},
        "sync_inventory": found["sync_inventory_on_next_run"],
        "income_account": found["income_account"] or "",
        "transfer_taxes_directly": found["transfer_taxes_directly"],
    }


def _changes(form: ConnectorForm, found: dict[str, Any]) -> dict[str, Any]:
    """What the form changes, in the engine's words (only what differs, so each change is
    its own event and nothing else is recorded)."""
    changes: dict[str, Any] = {}
    transfers = {
        k: bool(form[f"transfer_{k}"].data)
        for k in KINDS
        if bool(form[f"transfer_{k}"].data) != found[f"transfer_{k}"]
    }
    if transfers:
        changes["transfers"] = transfers
    if (form.emails.data or "").strip() != "; ".join(found["emails"]):
        changes["emails"] = form.emails.data or ""
    if (form.name.data or "").strip() != found["name"]:
        changes["name"] = form.name.data or ""
    if form.api_user.data != found["api_user"]:
        changes["api_username"] = form.api_user.data
    if form.sync_inventory.data and not found["sync_inventory_on_next_run"]:
        changes["sync_inventory_now"] = True
    if (form.income_account.data or None) != found["income_account"]:
        changes["income_account"] = form.income_account.data or None
    taxes = bool(form.transfer_taxes_directly.data)
    if found["quickbooks_country"] == "US" and taxes != found["transfer_taxes_directly"]:
        changes["transfer_taxes_directly"] = taxes
    return changes


def _page_parts(found: dict[str, Any]) -> dict[str, Any]:
    from web import get_public_url

    return {
        "intuit_url": INTUIT_WEB_CONNECTOR,
        "address_warning": local_address_warning(get_public_url()),
        "kinds": KINDS,
        "disabled": not any(found[f"transfer_{k}"] for k in KINDS),
    }


@admin.route("/connectors/<ref>/refresh", methods=["POST"])
@signed_in
def refresh(ref: str) -> Any:
    """Refresh: the company file's lists are pulled again at the next QBWC run."""
    engine, _ = _engine_and_settings()

    def ask() -> str:
        engine.request_list_refresh(ref, requested_by=actor())
        return "The QuickBooks lists are pulled again at the Web Connector's next run."

    return changed(ask, url_for("admin.connector", ref=ref))


@admin.route("/connectors/<ref>/clear", methods=["GET", "POST"])
@signed_in
def clear(ref: str) -> Any:
    """Clear the company file link, after a confirmation saying what it forgets."""
    engine, _ = _engine_and_settings()
    if request.method == "GET":
        try:
            found = engine.get_connector(ref)
        except DomainError as refusal:
            return not_found("Web connector", refusal)
        return page("connector_clear.html", connector=found)

    def forget() -> str:
        engine.clear_company_file(ref, cleared_by=actor())
        return "The company file link is cleared: download a new .qwc file for the Web Connector."

    return changed(forget, url_for("admin.connector", ref=ref))

"""The command-line contract scripts depend on: --json prints one JSON object; a refusal exits
2 with one line on stderr and changes nothing; no password or hash is ever printed."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.application import TransferEngine
from engine.qwc import validate_qwc

PASSWORD = "Cli-pass-2026!"


def event_count(settings) -> int:
    app = TransferEngine(env=settings.eventstore_env())
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def refused(cli, settings, *args, stdin="", match=""):
    before = event_count(settings)
    result = cli(*args, stdin=stdin)
    assert result.exit_code == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert match in lines[0]
    assert result.stdout == ""
    assert event_count(settings) == before
    return lines[0]


@pytest.fixture
def api_user(cli):
    result = cli(
        "users",
        "create",
        "qbwc-api",
        "--api-only",
        "--tracking-id",
        "Custom",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result
    return result.json()


@pytest.fixture
def connector(cli, api_user):
    result = cli("connectors", "create", "--name", "Acme Books", "--api-user", "qbwc-api", "--json")
    assert result.exit_code == 0, result
    return result.json()


def test_users_create_prints_the_user_without_secrets(cli, api_user):
    assert api_user["username"] == "qbwc-api"
    assert api_user["security_level"] == "api_only"
    assert api_user["has_password"] is True
    admin = cli("users", "create", "boss", "--admin", "--json").json()
    assert admin["security_level"] == "admin" and admin["has_password"] is False


def test_users_create_refusals(cli, settings, api_user):
    refused(cli, settings, "users", "create", "x", "--api-only", match="tracking identifier")
    refused(cli, settings, "users", "create", "x", match="exactly one of --api-only or --admin")
    refused(
        cli,
        settings,
        "users",
        "create",
        "x",
        "--api-only",
        "--admin",
        "--tracking-id",
        "t",
        match="exactly one",
    )
    refused(cli, settings, "users", "create", "QBWC-API", "--admin", match="already exists")
    refused(
        cli,
        settings,
        "users",
        "create",
        "y",
        "--admin",
        "--password-stdin",
        stdin="short\n",
        match="at least 8",
    )
    refused(
        cli,
        settings,
        "users",
        "create",
        "y",
        "--admin",
        "--password-stdin",
        stdin="",
        match="no password on standard input",
    )
    refused(cli, settings, "users", "create", match="Missing argument")
    refused(cli, settings, "users", "create", "x", "--admin", "--bogus", match="No such option")


def test_users_set(cli, settings, api_user):
    result = cli("users", "set", "qbwc-api", "--status", "locked", "--json").json()
    assert result["status"] == "locked"
    result = cli("users", "set", "qbwc-api", "--expire-password", "--json").json()
    assert result["password_expired"] is True
    result = cli(
        "users",
        "set",
        "qbwc-api",
        "--password-stdin",
        "--status",
        "active",
        "--json",
        stdin="New-pass-2026\n",
    ).json()
    assert result["password_expired"] is False and result["status"] == "active"
    refused(cli, settings, "users", "set", "ghost", "--status", "active", match="no user named")
    refused(cli, settings, "users", "set", "qbwc-api", "--status", "gone", match="Invalid value")


def test_account_set(cli, settings):
    result = cli(
        "account",
        "set",
        "--status",
        "suspended",
        "--strong-passwords",
        "on",
        "--password-expiry-days",
        "90",
        "--lockout-attempts",
        "5",
        "--json",
    ).json()
    assert result == result | {
        "status": "suspended",
        "strong_passwords": True,
        "password_expiry_days": 90,
        "lockout_attempts": 5,
    }
    refused(cli, settings, "account", "set", "--lockout-attempts", "0", match="lockout attempts")
    refused(cli, settings, "account", "set", "--strong-passwords", "maybe", match="Invalid value")


def test_connectors_create_list_show(cli, settings, connector):
    assert {"id", "name", "is_default"} <= set(connector)
    assert connector["name"] == "Acme Books" and connector["is_default"] is True
    listed = cli("connectors", "list", "--json").json()
    assert [c["id"] for c in listed["connectors"]] == [connector["id"]]
    shown = cli("connectors", "show", connector["id"], "--json").json()
    assert shown["id"] == connector["id"] and shown["api_user"] == "qbwc-api"
    human = cli("connectors", "show", connector["id"])
    assert human.exit_code == 0 and "Acme Books" in human.stdout
    refused(
        cli,
        settings,
        "connectors",
        "create",
        "--name",
        "acme books",
        "--api-user",
        "qbwc-api",
        match="already exists",
    )
    refused(
        cli,
        settings,
        "connectors",
        "create",
        "--name",
        "B",
        "--api-user",
        "ghost",
        match="no user named 'ghost'",
    )
    refused(cli, settings, "connectors", "show", "nope", match="no web connector")


def test_connectors_set(cli, settings, connector):
    result = cli(
        "connectors",
        "set",
        connector["id"],
        "--transfer-invoices",
        "on",
        "--transfer-timesheets",
        "on",
        "--transfer-expense-reports",
        "on",
        "--transfer-purchase-orders",
        "on",
        "--sync-inventory-now",
        "--emails",
        "a@x.com;b@y.com",
        "--auto-run-minutes",
        "30",
        "--income-account",
        "Autotask Income from PO",
        "--transfer-taxes-directly",
        "on",
        "--json",
    ).json()
    assert result["transfer_invoices"] and result["transfer_timesheets"]
    assert result["transfer_expense_reports"] and result["transfer_purchase_orders"]
    assert result["sync_inventory_on_next_run"] and result["transfer_taxes_directly"]
    assert result["emails"] == ["a@x.com", "b@y.com"] and result["auto_run_minutes"] == 30
    assert result["income_account"] == "Autotask Income from PO"
    cli("connectors", "create", "--name", "Second", "--api-user", "qbwc-api", "--json")
    refused(
        cli,
        settings,
        "connectors",
        "set",
        "Second",
        "--transfer-purchase-orders",
        "on",
        match="already enabled on web connector 'Acme Books'",
    )
    refused(
        cli,
        settings,
        "connectors",
        "set",
        connector["id"],
        "--emails",
        "nope",
        match="not a valid e-mail",
    )
    refused(
        cli,
        settings,
        "connectors",
        "set",
        connector["id"],
        "--auto-run-minutes",
        "10",
        match="between 15",
    )


def test_connectors_qwc_to_stdout_and_to_a_file(cli, settings, connector, tmp_path):
    result = cli("connectors", "qwc", connector["id"])
    assert result.exit_code == 0
    assert validate_qwc(result.stdout) == []
    root = etree.fromstring(result.stdout.encode())
    assert root.findtext("UserName") == "qbwc-api"
    assert root.findtext("AppURL").startswith("https://qb.example.com/qbwc/")
    target = tmp_path / "acme.qwc"
    written = cli(
        "connectors", "qwc", connector["id"], "--user", "qbwc-api", "--output", str(target)
    )
    assert written.exit_code == 0 and written.stdout == ""
    assert validate_qwc(target.read_text()) == []
    regs = cli("registrations", "list", "--connector", connector["id"], "--json").json()
    assert len(regs["registrations"]) == 2
    refused(
        cli,
        settings,
        "connectors",
        "qwc",
        connector["id"],
        "--output",
        str(tmp_path / "missing" / "x.qwc"),
        match="does not exist",
    )


def test_connectors_qwc_refuses_a_public_url_qbwc_cannot_use(cli, settings, connector, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "http://qb.example.com")
    refused(cli, settings, "connectors", "qwc", connector["id"], match="PUBLIC_URL")
    monkeypatch.setenv("PUBLIC_URL", "https://10.1.2.3")
    refused(cli, settings, "connectors", "qwc", connector["id"], match="IP address")


def test_registrations_revoke(cli, settings, connector):
    cli("connectors", "qwc", connector["id"])
    reg = cli("registrations", "list", "--connector", connector["id"], "--json").json()
    reg_id = reg["registrations"][0]["id"]
    result = cli("registrations", "revoke", reg_id, "--reason", "old laptop", "--yes", "--json")
    result = result.json()
    assert result["revoked"] is True
    refused(cli, settings, "registrations", "revoke", reg_id, match="already revoked")


def test_tokens_create_prints_the_token_once(cli):
    result = cli("tokens", "create", "ci-bot")
    assert result.exit_code == 0 and result.stdout.startswith("qbt_")
    as_json = cli("tokens", "create", "other", "--json").json()
    assert as_json["name"] == "other" and as_json["token"].startswith("qbt_")


def test_no_password_or_hash_is_ever_printed(cli, api_user, connector):
    outputs = [
        cli("users", "show", "qbwc-api", "--json"),
        cli("users", "list", "--json"),
        cli("users", "list"),
        cli("users", "set", "qbwc-api", "--password-stdin", stdin="short\n"),
        cli("users", "set", "qbwc-api", "--password-stdin", stdin=PASSWORD + "x\n"),
        cli("users", "create", "qbwc-api", "--admin", "--password-stdin", stdin=PASSWORD + "\n"),
    ]
    for out in outputs:
        text = out.stdout + out.stderr
        assert PASSWORD not in text and "scrypt" not in text and "short" not in text

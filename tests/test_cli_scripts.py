"""Commands a script can rely on: `connectors check` exit codes, confirmations of destructive
commands (`--yes`), the income account checked against the synced lists, ids by prefix."""

from __future__ import annotations

from tests.test_cli import refused
from tests.test_transfers_invoices import caught_up


def test_connectors_check_exits_1_while_an_enabled_type_is_blocked(shop, cli):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    report = cli("connectors", "check", reg.connector_id, "--json")
    blocked = report.json()["types"]["invoices"]["blockers"]
    assert report.exit_code == (1 if blocked else 0)
    # Timesheets are off: their blockers do not count, unless asked about with --type.
    one = cli("connectors", "check", reg.connector_id, "--type", "timesheets", "--json")
    assert one.exit_code == 1 and set(one.json()["types"]) == {"timesheets"}
    engine.change_connector(reg.connector_id, transfers={"invoices": False})
    assert cli("connectors", "check", reg.connector_id).exit_code == 0  # nothing on: nothing blocks
    assert cli("connectors", "check", "nope").exit_code == 2
    assert cli("connectors", "check", reg.connector_id, "--type", "x").exit_code == 2


def test_connectors_check_exits_0_when_every_enabled_type_is_ready(shop, cli):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    result = cli("connectors", "check", reg.connector_id, "--type", "invoices", "--json")
    if result.json()["types"]["invoices"]["blockers"]:
        for blocker in result.json()["types"]["invoices"]["blockers"]:
            assert blocker  # named, one by one
        assert result.exit_code == 1
    else:
        assert result.exit_code == 0


def test_destructive_commands_ask_first_and_say_what_they_did(shop, cli):
    engine, reg, company, settings = shop
    for args in (
        ("connectors", "clear-company-file", reg.connector_id),
        ("registrations", "revoke", reg.registration_id),
    ):
        line = refused(cli, settings, *args, match="pass --yes to confirm")
        assert "cannot be undone" in line
    prefix = reg.registration_id[:8]
    revoked = cli("registrations", "revoke", prefix, "--yes")
    assert revoked.exit_code == 0, revoked
    assert revoked.stdout.startswith(f"revoked: .qwc {reg.registration_id} (user qbwc-api")
    cleared = cli("connectors", "clear-company-file", reg.connector_id[:6], "--yes")
    assert cleared.exit_code == 0, cleared
    assert cleared.stdout.startswith("cleared: Acme Books no longer linked to ")
    assert "lists and mappings are forgotten" in cleared.stdout


def test_mark_not_transferred_asks_first(shop, cli):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    from tests.helpers import run_session

    run_session(engine, reg, company)
    args = ("transfers", "mark-not-transferred", "invoice", "INV-5001", "--connector", "Acme Books")
    line = refused(cli, settings, *args, match="pass --yes")
    assert "twice" in line
    done = cli(*args, "--yes", "--json")
    assert done.exit_code == 0 and done.json()["warning"]


def test_the_income_account_is_checked_against_the_synced_accounts(shop, cli):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    set_ = ("connectors", "set", reg.connector_id, "--income-account")
    refused(cli, settings, *set_, "No Such Income", match="QuickBooks has no accounts named")
    refused(cli, settings, *set_, "Travel", match="is a Expense account")
    done = cli(*set_, "consulting income", "--json").json()
    assert done["income_account"] == "Consulting Income"  # as QuickBooks spells it
    fallback = cli(*set_, "Autotask Income from PO", "--json").json()  # the one we create
    assert fallback["income_account"] == "Autotask Income from PO"


def test_before_any_sync_the_income_account_cannot_be_checked_yet(cli, settings):
    from tests.helpers import cli_api_user

    cli_api_user(cli)
    cli("connectors", "create", "--name", "Books", "--api-user", "qbwc-api")
    line = refused(cli, settings, "connectors", "set", "Books", "--income-account", "Sales",
                   match="cannot check the income account")  # fmt: skip
    assert "run the Web Connector once" in line


def test_on_a_terminal_the_question_is_asked(shop, cli, monkeypatch):
    engine, reg, company, settings = shop
    monkeypatch.setattr("web.cli.common.on_a_terminal", lambda: True)
    no = cli("registrations", "revoke", reg.registration_id, stdin="n\n")
    assert no.exit_code == 1 and "Revoke the .qwc" in no.stderr and "aborted" in no.stderr
    assert not engine.get_registration(reg.registration_id)["revoked"]
    yes = cli("registrations", "revoke", reg.registration_id, stdin="y\n")
    assert yes.exit_code == 0 and engine.get_registration(reg.registration_id)["revoked"]


def test_browsing_the_synced_quickbooks_lists(shop, cli):
    engine, reg, company, settings = shop
    accounts = cli("quickbooks", "list", "accounts", "--connector", "Acme Books", "--json")
    names = [r["full_name"] for r in accounts.json()["records"]]
    assert "Consulting Income" in names and names == sorted(names)
    found = cli("quickbooks", "list", "accounts", "--connector", reg.connector_id[:8],
                "--search", "INCOME")  # fmt: skip
    lines = found.stdout.splitlines()
    assert lines[0].split() == ["Full", "name", "Type", "Active", "ListID"]
    assert any(line.startswith("Consulting Income") and "Income" in line for line in lines[2:])
    assert not any("Travel" in line for line in lines)
    classes = cli("quickbooks", "list", "classes", "--connector", "Acme Books").stdout
    assert "Projects:Infrastructure" in classes
    empty = cli("quickbooks", "list", "ship-methods", "--connector", "Acme Books", "--search", "x")
    assert empty.stdout.startswith("no ship methods synced")
    assert cli("quickbooks", "list", "planets", "--connector", "Acme Books").exit_code == 2


def test_organizations_and_resources_are_listed_with_their_connector(shop, cli):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    orgs = cli("organizations", "list", "--json").json()["organizations"]
    assert orgs and all(o["connector"] == "Acme Books" for o in orgs)
    text = cli("organizations", "list", "--search", orgs[0]["name"][:5]).stdout.splitlines()
    assert text[0].split() == ["Id", "Name", "Web", "connector", "Assigned"]
    assert any(line.startswith(orgs[0]["id"]) for line in text[2:])
    people = cli("resources", "list", "--connector", "Acme Books", "--json").json()["resources"]
    assert people and all(p["assigned"] in (True, False) for p in people)

"""Mappings: each category against the QuickBooks lists the first handshake brought, each edit
an event with who, when, old and new, and records QuickBooks later deleted."""

from __future__ import annotations

import json
from types import SimpleNamespace
from uuid import UUID

import pytest

from engine.aggregates.mapping import Mapping
from engine.errors import InvalidValue, NotFound
from tests.helpers import demo_company, register_connector, run_session
from tests.test_import import DEMO
from web import views
from web.views import read_models


@pytest.fixture
def linked(engine, settings):
    reg = register_connector(engine)
    company = demo_company()
    company.write_file_id(reg.owner_id, reg.file_id)
    run_session(engine, reg, company)
    engine.import_psa(json.loads(DEMO.read_text()), by="test")

    def set_(category: str, psa_id: str, quickbooks: str):
        return views.set_mapping(
            settings, engine, reg.connector_id, category, psa_id, quickbooks, "alice"
        )

    def show(category: str | None = None):
        return views.mappings(settings, engine, reg.connector_id, category)["categories"]

    return SimpleNamespace(reg=reg, company=company, set=set_, show=show)


def target(result: dict) -> str:
    quickbooks = result["quickbooks"]
    return quickbooks.get("special") or quickbooks["full_name"]


def test_every_category_maps_to_the_right_kind_of_record(linked):
    assert target(linked.set("billing-codes", "BC-1", "Consulting Income")) == "Consulting Income"
    assert (
        target(linked.set("lines-of-business", "LOB-2", "projects:infrastructure"))
        == "Projects:Infrastructure"
    )
    assert target(linked.set("lines-of-business", "none", "[No Class]")) == "[no class]"
    assert target(linked.set("expense-billable", "EXP-1", "Travel")) == "Travel"
    assert target(linked.set("expense-reimbursable", "EXP-2", "Meals and Entertainment"))
    assert target(linked.set("cash-advance", "account", "Employee Advances"))
    assert (
        linked.set("resources-payroll", "RES-1", "Dana Whitfield")["quickbooks"]["list"]
        == "employees"
    )
    assert (
        linked.set("resources-payroll", "RES-2", "Ingram Micro")["quickbooks"]["list"] == "vendors"
    )
    assert target(linked.set("resources-expenses", "RES-2", "Ingram Micro")) == "Ingram Micro"
    assert target(linked.set("payroll-categories", "PAY-1", "Regular Pay")) == "Regular Pay"
    assert (
        target(linked.set("payroll-categories", "PAY-2", "[do not transfer]"))
        == "[do not transfer]"
    )
    customer = linked.company.find(["customer"], "Acme Dental Group")["ListID"]
    assert target(linked.set("organizations", "ORG-100", customer)) == "Acme Dental Group"
    assert target(linked.set("products", "PRD-1", "Dell Latitude 5550 Laptop"))


@pytest.mark.parametrize(
    "category, psa_id, quickbooks, error, message",
    [
        ("billing-codes", "BC-1", "Travel", InvalidValue, "is a Expense account"),
        ("expense-billable", "EXP-1", "Consulting Income", InvalidValue, "is a Income account"),
        ("products", "PRD-1", "Remote Support", InvalidValue, "is a ItemService item"),
        ("resources-expenses", "RES-1", "Dana Whitfield", NotFound, "no vendors named"),
        ("billing-codes", "BC-1", "Nope", NotFound, "QuickBooks has no accounts named 'Nope'"),
        ("billing-codes", "BC-404", "Autotask Other", NotFound, "no billing code 'BC-404'"),
        ("lines-of-business", "LOB-1", "[do not transfer]", NotFound, "no classes named"),
        ("payroll", "PAY-1", "Regular Pay", InvalidValue, "unknown mapping category 'payroll'"),
        ("cash-advance", "other", "Employee Advances", NotFound, "(or account)"),
    ],
)
def test_wrong_mappings_are_refused_and_change_nothing(
    engine, linked, category, psa_id, quickbooks, error, message
):
    before = engine.recorder.max_notification_id()
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        linked.set(category, psa_id, quickbooks)
    assert engine.recorder.max_notification_id() == before


def test_each_edit_is_an_event_with_who_when_old_and_new(engine, linked):
    linked.set("billing-codes", "BC-1", "Consulting Income")
    linked.set("billing-codes", "BC-1", "Autotask Other")
    linked.set("billing-codes", "BC-1", "Autotask Other")  # the same again: no event
    engine.clear_mapping(linked.reg.connector_id, "billing-codes", "BC-1", by="bob")
    history = [
        e
        for e in engine.events.get(Mapping.create_id(UUID(linked.reg.connector_id)))
        if type(e).__qualname__ != "Mapping.Created"
    ]
    assert [type(e).__qualname__ for e in history] == [
        "Mapping.Set",
        "Mapping.Set",
        "Mapping.Cleared",
    ]
    first, second, cleared = history
    assert first.old is None and first.new["full_name"] == "Consulting Income"
    assert second.old["full_name"] == "Consulting Income"
    assert second.new["full_name"] == "Autotask Other"
    assert (first.by, cleared.by) == ("alice", "bob") and cleared.at is not None
    assert cleared.old["full_name"] == "Autotask Other"
    with pytest.raises(NotFound, match="is not mapped"):
        engine.clear_mapping(linked.reg.connector_id, "billing-codes", "BC-1", by="bob")


def test_show_lists_every_code_with_its_mapping_or_default(linked):
    linked.set("lines-of-business", "LOB-1", "Managed Services")
    shown = linked.show()
    assert list(shown) == [
        "billing-codes",
        "lines-of-business",
        "expense-billable",
        "expense-reimbursable",
        "cash-advance",
        "resources-payroll",
        "resources-expenses",
        "payroll-categories",
        "organizations",
        "products",
    ]
    lob = {row["psa_id"]: row for row in shown["lines-of-business"]}
    assert set(lob) == {"LOB-1", "LOB-2", "none"}
    assert lob["LOB-1"]["quickbooks"]["full_name"] == "Managed Services"
    assert lob["LOB-2"]["default"] == "[no class]"
    assert lob["LOB-1"]["psa_name"] == "Managed Services / Helpdesk"
    assert [r["psa_id"] for r in linked.show("cash-advance")["cash-advance"]] == ["account"]


def test_mappings_to_records_quickbooks_deleted_are_reported(engine, linked):
    linked.set("expense-billable", "EXP-1", "Travel")
    linked.company.delete_list_record("account", "Travel")
    engine.request_deletion_sync(linked.reg.connector_id)
    run_session(engine, linked.reg, linked.company)
    row = linked.show("expense-billable")["expense-billable"][0]
    assert row["psa_id"] == "EXP-1" and row["missing_in_quickbooks"] is True
    with pytest.raises(NotFound):
        linked.set("expense-billable", "EXP-2", "Travel")


def test_clearing_the_company_file_clears_the_mappings(engine, linked):
    linked.set("billing-codes", "BC-1", "Consulting Income")
    engine.clear_company_file(linked.reg.connector_id, cleared_by="test")
    assert (
        engine.get_mappings(linked.reg.connector_id, directory=_no_lists(), catalog=_no_records())[
            "categories"
        ]["billing-codes"]
        == []
    )


class _no_lists:
    def find(self, *args, **kwargs):
        return None

    def records(self, *args, **kwargs):
        return []


class _no_records:
    def records_of(self, kind):
        return []


def test_the_command_line_and_the_api(cli, engine, settings, web_app, linked):

    result = cli(
        "mappings",
        "set",
        linked.reg.connector_id,
        "billing-codes",
        "BC-2",
        "Consulting Income",
        "--json",
    )
    assert result.exit_code == 0 and result.json()["quickbooks"]["full_name"] == "Consulting Income"
    shown = cli(
        "mappings", "show", linked.reg.connector_id, "--category", "billing-codes", "--json"
    ).json()
    assert shown["categories"]["billing-codes"][1]["quickbooks"]["full_name"] == "Consulting Income"
    assert "BC-2" in cli("mappings", "show", "Acme Books").stdout
    refused = cli("mappings", "set", linked.reg.connector_id, "billing-codes", "BC-2", "Travel")
    assert refused.exit_code == 2 and "Expense account" in refused.stderr
    assert cli("mappings", "clear", linked.reg.connector_id, "billing-codes", "BC-2").exit_code == 0
    token = engine.create_token("t")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    client = web_app.test_client()
    base = f"/api/v1/connectors/{linked.reg.connector_id}/mappings"
    put = client.put(
        f"{base}/payroll-categories/PAY-1", json={"quickbooks": "Regular Pay"}, headers=auth
    )
    assert put.status_code == 200 and put.get_json()["quickbooks"]["full_name"] == "Regular Pay"
    listed = client.get(f"{base}?category=payroll-categories", headers=auth).get_json()
    assert listed["categories"]["payroll-categories"][0]["quickbooks"] is not None
    assert (
        client.put(
            f"{base}/payroll-categories/PAY-1", json={"quickbooks": "Nope"}, headers=auth
        ).status_code
        == 404
    )
    assert client.delete(f"{base}/payroll-categories/PAY-1", headers=auth).status_code == 200
    with read_models(settings, engine, "psarecords") as (psa,):
        assert len(psa.records_of("payroll_categories")) == 2

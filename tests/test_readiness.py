"""The readiness check on the demo data against a simulated company, and naming conventions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine import naming
from engine.commanding import utcnow
from tests.helpers import demo_company, register_connector, run_session
from tests.test_import import DEMO
from web import views


@pytest.fixture
def demo(engine, settings):
    reg = register_connector(engine)
    engine.import_psa(json.loads(DEMO.read_text()), by="test")

    def check() -> dict:
        return views.readiness(settings, engine, reg.connector_id)

    def set_(category: str, psa_id: str, quickbooks: str) -> None:
        views.set_mapping(settings, engine, reg.connector_id, category, psa_id, quickbooks, "t")

    return reg, check, set_


def test_before_the_first_handshake_everything_waits_for_the_company_file(demo):
    _, check, _ = demo
    report = check()
    assert report["company_file_linked"] is False
    for kind, result in report["types"].items():
        assert any("no company file is linked yet" in b for b in result["blockers"]), kind
        assert result["enabled"] is False
    assert report["types"]["invoices"]["documents_ready"] == 2


def test_the_demo_data_against_a_simulated_company(engine, demo):
    reg, check, set_ = demo
    company = demo_company()
    company.write_file_id(reg.owner_id, reg.file_id)
    run_session(engine, reg, company)
    engine.change_connector(
        reg.connector_id,
        transfers={
            "invoices": True,
            "timesheets": True,
            "expense_reports": True,
            "purchase_orders": True,
        },
    )
    types = check()["types"]
    assert types["invoices"]["blockers"] == [
        "QuickBooks has no CostOfGoodsSold account 'Inventory Adjustment'; create it in "
        "QuickBooks (the integration never creates it)"
    ]
    assert (
        "customer 'Bright:Downtown Clinic' will be created for organization ORG-101"
        in types["invoices"]["notes"]
    )
    assert types["timesheets"]["blockers"] == [
        "timesheet TS-301: payroll category PAY-1 (Regular) is not mapped to a payroll wage "
        "item or [do not transfer]",
        "timesheet TS-301: payroll category PAY-2 (Vacation) is not mapped to a payroll wage "
        "item or [do not transfer]",
    ]
    assert types["expense_reports"]["blockers"] == [
        "expense report EXR-77: expense category EXP-1 (Mileage) has no account for billable "
        "use (map it under expense-billable)",
        "expense report EXR-77: expense category EXP-2 (Meals) has no account for reimbursable "
        "use (map it under expense-reimbursable)",
    ]
    assert (
        "vendor 'v-Ortega, Luis' will be created for resource RES-2"
        in types["expense_reports"]["notes"]
    )
    assert types["purchase_orders"]["blockers"] == []
    assert types["purchase_orders"]["documents_ready"] == 1
    assert any(
        "PRD-2 becomes item 'Ubiquiti UniFi U7 Pro Wireless'" in n
        for n in types["purchase_orders"]["notes"]
    )
    assert any(
        "'Autotask Income from PO' will be created" in n for n in types["purchase_orders"]["notes"]
    )
    assert types["inventory_sync"]["blockers"] == types["invoices"]["blockers"]

    set_("payroll-categories", "PAY-1", "Regular Pay")
    set_("payroll-categories", "PAY-2", "[do not transfer]")
    set_("expense-billable", "EXP-1", "Travel")
    set_("expense-reimbursable", "EXP-2", "Meals and Entertainment")
    company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq '
        'onError="stopOnError"><AccountAddRq><AccountAdd><Name>Inventory Adjustment'
        "</Name><AccountType>CostOfGoodsSold</AccountType></AccountAdd></AccountAddRq>"
        "</QBXMLMsgsRq></QBXML>"
    )
    engine.clock = lambda: utcnow() + timedelta(hours=2)  # the lists are due again
    run_session(engine, reg, company)
    report = check()
    assert report["ready"] is True
    assert all(r["blockers"] == [] for r in report["types"].values())


def test_resources_without_an_employee_or_vendor_block_timesheets(engine, demo):
    reg, check, _ = demo
    company = demo_company()
    company.delete_list_record("employee", "Dana Whitfield")
    company.write_file_id(reg.owner_id, reg.file_id)
    run_session(engine, reg, company)
    blockers = check()["types"]["timesheets"]["blockers"]
    assert blockers[0] == (
        "timesheet TS-301: resource RES-1 (Whitfield, Dana) has no QuickBooks "
        "employee or vendor (map it under resources-payroll)"
    )


def test_long_names_and_e_mail_without_an_address_block_invoices(engine, demo):
    reg, check, _ = demo
    engine.mark_ready("invoice", ["INV-5003"], by="t")
    data = json.loads(DEMO.read_text())
    data["organizations"][1]["transmission_method"] = "email"
    data["billing_codes"][2]["name"] = "Managed Workstation with Extended Coverage"
    engine.import_psa(data, by="t")
    blockers = check()["types"]["invoices"]["blockers"]
    assert (
        "invoice 5003: organization ORG-102: the customer name 'Cascade Logistics & Freight "
        "Incorporated of Oregon' is 50 characters; QuickBooks allows 41 per level; map it "
        "to an existing customer"
    ) in blockers
    assert (
        "invoice 5002 is to be e-mailed, but organization ORG-101 has no e-mail address" in blockers
    )
    assert any(
        "billing code BC-3: the item name 'Managed Workstation with Extended Coverage' "
        "is 42 characters; QuickBooks allows 31 per level" in b
        for b in blockers
    )
    engine.change_connector(reg.connector_id, name_overflow="truncate")
    after = check()["types"]["invoices"]
    assert not any("BC-3" in b for b in after["blockers"])
    assert any("was cut to fit QuickBooks" in n for n in after["notes"])


def test_documents_follow_their_organizations_connector(engine, settings, demo, cli):
    reg, check, _ = demo
    other = register_connector(engine, name="Canada")
    engine.assign("organizations", "ORG-101", other.connector_id, by="t")
    assert check()["types"]["invoices"]["documents_ready"] == 1
    elsewhere = views.readiness(settings, engine, other.connector_id)
    assert elsewhere["types"]["invoices"]["documents_ready"] == 1
    result = cli("connectors", "check", "Canada", "--json")
    assert result.exit_code == 0 and result.json()["types"]["invoices"]["documents_ready"] == 1
    assert cli("connectors", "check", "Canada").stdout.startswith(
        "Canada: no transfer type is on yet"
    )


# -- naming conventions -------------------------------------------------------------------------


def test_tilde_becomes_sub_items_and_customer_jobs():
    assert (
        naming.item_name("Tech~On-Site Service", None, "billing-code", "fail").name
        == "Tech:On-Site Service"
    )
    assert (
        naming.item_name("Remote Support", "Engineer", "role-work-type", "fail").name
        == "Engineer:Remote Support"
    )
    assert (
        naming.item_name("Remote Support", None, "role-work-type", "fail").name == "Remote Support"
    )
    assert naming.customer_name("Bright~Downtown Clinic").name == "Bright:Downtown Clinic"


def test_length_limits_come_from_the_schema_data():
    assert (naming.ITEM_LEVEL, naming.CUSTOMER_LEVEL, naming.VENDOR_NAME) == (31, 41, 41)
    long_item = "x" * 32
    assert (
        "allows 31 per level" in naming.item_name(long_item, None, "billing-code", "fail").problem
    )
    cut = naming.item_name(long_item, None, "billing-code", "truncate")
    assert cut.name == "x" * 31 and cut.truncated
    assert naming.customer_name("y" * 42).problem  # customers are never cut
    assert (
        naming.product_item_name("Ubiquiti UniFi U7 Pro Wireless Access Point").name
        == "Ubiquiti UniFi U7 Pro Wireless"
    )
    deep = "a~b~c~d~e~f"
    assert "6 levels" in naming.item_name(deep, None, "billing-code", "truncate").problem


def test_expense_vendors_are_named_v_lastname_firstname():
    assert naming.expense_vendor_name("Luis", "Ortega", "fail").name == "v-Ortega, Luis"
    long = naming.expense_vendor_name("Maximiliana", "Wolfeschlegelsteinhausenberger", "fail")
    assert "QuickBooks allows 41" in long.problem
    assert (
        len(
            naming.expense_vendor_name(
                "Maximiliana", "Wolfeschlegelsteinhausenberger", "truncate"
            ).name
        )
        == 41
    )

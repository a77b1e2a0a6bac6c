"""Timesheets into QuickBooks: one TimeTrackingAdd per day, customer, service item and payroll
item, to the resource's employee or vendor (never created), exactly once."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.helpers import run_session
from tests.test_transfers_invoices import caught_up, lost_after, session, synced_demo
from web.views import history

DEMO = json.loads((Path(__file__).parent / "data" / "psa-demo.json").read_text())


@pytest.fixture
def office(settings):
    """The demo company synced, the demo PSA file imported, timesheets switched on, the
    regular hours mapped to "Regular Pay" and vacation to [do not transfer]."""
    engine, reg, company = synced_demo(settings)
    engine.import_psa(DEMO, by="tests")
    caught_up(engine, settings)
    for psa_id, target in (("PAY-1", "Regular Pay"), ("PAY-2", "[do not transfer]")):
        engine.set_mapping(
            reg.connector_id, "payroll-categories", psa_id, target,
            directory=engine.directory, by="tests",
        )  # fmt: skip
    engine.change_connector(reg.connector_id, transfers={"timesheets": True})
    caught_up(engine, settings)
    try:
        yield engine, reg, company, settings
    finally:
        engine.close()


def time_in(company) -> list[dict]:
    return sorted(company.txns["TimeTracking"].values(), key=lambda t: t["TxnDate"])


def sheet(engine, reg, psa_id="TS-301") -> dict:
    return engine.get_transfer("timesheet", psa_id, reg.connector_id)


def test_an_approved_timesheet_lands_as_one_entry_per_day_and_the_vacation_is_skipped(office):
    engine, reg, company, settings = office
    run_session(engine, reg, company)
    entries = time_in(company)
    assert [(e["TxnDate"], e["Duration"]) for e in entries] == [
        ("2026-11-02", "PT6H30M"),
        ("2026-11-03", "PT8H0M"),
    ]
    first, second = entries
    assert first["EntityRef"]["FullName"] == "Dana Whitfield"
    assert first["CustomerRef"]["FullName"] == "Acme Dental Group"
    assert first["ItemServiceRef"]["FullName"] == "Remote Support"
    assert first["PayrollItemWageRef"]["FullName"] == "Regular Pay"
    assert first["BillableStatus"] == "NotBillable"
    assert first["Notes"] == "Timesheet TS-301: Ticket T20261102.0011"
    assert second["CustomerRef"]["FullName"] == "Bright:Downtown Clinic"
    # No employee was made; the customer and item the hours name were.
    assert [e["Name"] for e in company.lists["employee"].values()] == ["Dana Whitfield"]
    assert "Tech:On-Site Service" in {i["FullName"] for i in company.lists["item_service"].values()}
    found = sheet(engine, reg)
    assert [p["status"] for p in found["parts"]] == ["succeeded", "succeeded", "skipped"]
    assert "Vacation mapped to [do not transfer]" in found["parts"][2]["failure"]["message"]
    document = engine.get_document("timesheet", "TS-301")
    assert document["status"] == "transferred"
    assert sorted(document["quickbooks"]["txn_ids"]) == sorted(e["TxnID"] for e in entries)
    caught_up(engine, settings)
    rows = history(settings, engine, kind="timesheets", result="skipped")["rows"]
    assert [r["number"] for r in rows] == ["TS-301 2026-11-06"]
    assert "PT8H0M of Vacation mapped to [do not transfer]" in rows[0]["message"]
    # Nothing again at the next session.
    run_session(engine, reg, company)
    assert len(time_in(company)) == 2


def test_a_resource_with_no_employee_or_vendor_fails_and_none_is_created(office):
    engine, reg, company, settings = office
    luis = copy.deepcopy(DEMO["timesheets"][0])
    luis.update(id="TS-302", resource_id="RES-2")
    engine.import_psa({"format": DEMO["format"], "timesheets": [luis]}, by="tests")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    parts = sheet(engine, reg, "TS-302")["parts"]
    assert {p["status"] for p in parts} == {"failed"}
    assert "'Luis Ortega' is mapped to no employee or vendor" in parts[0]["failure"]["message"]
    assert "never created" in parts[0]["failure"]["message"]
    assert [e["Name"] for e in company.lists["employee"].values()] == ["Dana Whitfield"]
    assert all(e["EntityRef"]["FullName"] == "Dana Whitfield" for e in time_in(company))
    # Mapped to a vendor, the hours go (a vendor has no wage item) at the next session.
    engine.set_mapping(
        reg.connector_id, "resources-payroll", "RES-2", "Ingram Micro",
        directory=engine.directory, by="tests",
    )  # fmt: skip
    caught_up(engine, settings)
    run_session(engine, reg, company)
    theirs = [e for e in time_in(company) if e["EntityRef"]["FullName"] == "Ingram Micro"]
    assert len(theirs) == 2 and all("PayrollItemWageRef" not in e for e in theirs)
    assert engine.get_document("timesheet", "TS-302")["status"] == "transferred"


def test_an_employee_hours_need_a_wage_item_for_their_payroll_category(office):
    engine, reg, company, settings = office
    engine.clear_mapping(reg.connector_id, "payroll-categories", "PAY-1", by="tests")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert time_in(company) == []
    message = sheet(engine, reg)["parts"][0]["failure"]["message"]
    assert "payroll category Regular is mapped to no payroll wage item" in message


def test_a_two_week_period_lands_in_each_of_its_quickbooks_weeks(office):
    engine, reg, company, settings = office
    fortnight = copy.deepcopy(DEMO["timesheets"][0])
    fortnight.update(id="TS-303", period_start="2026-11-09", period_end="2026-11-22")
    fortnight["entries"] = [
        {"date": day, "hours": "7.25", "organization_id": "ORG-100", "billing_code_id": "BC-1",
         "payroll_category_id": "PAY-1"}
        for day in ("2026-11-13", "2026-11-14", "2026-11-16", "2026-11-16")
    ]  # fmt: skip
    engine.import_psa({"format": DEMO["format"], "timesheets": [fortnight]}, by="tests")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    theirs = [e for e in time_in(company) if e["Notes"].startswith("Timesheet TS-303")]
    # The same day's entries for the same work are one entry; each day keeps its own date,
    # so QuickBooks files Friday and Saturday in one week and Monday in the next.
    assert [(e["TxnDate"], e["Duration"]) for e in theirs] == [
        ("2026-11-13", "PT7H15M"),
        ("2026-11-14", "PT7H15M"),
        ("2026-11-16", "PT14H30M"),
    ]


def test_a_lost_answer_after_quickbooks_added_the_hours_is_found_not_resent(office):
    engine, reg, company, settings = office

    session(engine, reg, company, tamper=lost_after("<TimeTrackingAddRq"))
    assert len(time_in(company)) == 2
    assert {p["status"] for p in sheet(engine, reg)["parts"][:2]} == {"sent"}
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(time_in(company)) == 2
    assert [p["status"] for p in sheet(engine, reg)["parts"]] == ["verified", "verified", "skipped"]
    assert engine.get_document("timesheet", "TS-301")["status"] == "transferred"


def test_a_customer_two_types_create_in_one_message_is_made_once(office):
    # The invoices' and the timesheets' steps both find Acme and Bright missing and ask
    # for them in the same message: the second creation meets 3100, asks again by name,
    # finds it, and every transfer goes.
    engine, reg, company, settings = office
    engine.change_connector(reg.connector_id, transfers={"invoices": True})
    caught_up(engine, settings)
    run_session(engine, reg, company)
    names = [c["FullName"] for c in company.lists["customer"].values()]
    assert names.count("Acme Dental Group") == 1 and names.count("Bright:Downtown Clinic") == 1
    assert len(company.txns["Invoice"]) == 2 and len(time_in(company)) == 2
    assert [p["status"] for p in sheet(engine, reg)["parts"]] == [
        "succeeded",
        "succeeded",
        "skipped",
    ]

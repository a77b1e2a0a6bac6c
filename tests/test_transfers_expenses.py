"""Expense reports into QuickBooks: a bill to the resource's vendor (created as `v-Last, First`
when there is none), one line per reimbursable item, exactly once; nothing to pay, no bill."""

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
    """The demo company synced, the demo PSA file imported, its categories mapped and
    expense reports switched on."""
    engine, reg, company = synced_demo(settings)
    engine.import_psa(DEMO, by="tests")
    caught_up(engine, settings)
    for category, psa_id, target in (
        ("expense-billable", "EXP-1", "Travel"),
        ("expense-reimbursable", "EXP-2", "Meals and Entertainment"),
    ):
        map_(engine, reg, category, psa_id, target)
    engine.change_connector(reg.connector_id, transfers={"expense_reports": True})
    caught_up(engine, settings)
    try:
        yield engine, reg, company, settings
    finally:
        engine.close()


def map_(engine, reg, category, psa_id, target):
    engine.set_mapping(
        reg.connector_id, category, psa_id, target, directory=engine.directory, by="tests"
    )


def bills_in(company) -> list[dict]:
    return list(company.txns["Bill"].values())


def vendors_in(company) -> list[str]:
    return sorted(v["Name"] for v in company.lists["vendor"].values())


def report(psa_id: str, **changes) -> dict:
    data = copy.deepcopy(DEMO["expense_reports"][0])
    data.update(id=psa_id, **changes)
    return data


def imported(engine, settings, *reports) -> None:
    engine.import_psa({"format": DEMO["format"], "expense_reports": list(reports)}, by="tests")
    caught_up(engine, settings)


def test_a_report_becomes_a_bill_to_a_new_v_vendor_created_first(office):
    engine, reg, company, settings = office
    run_session(engine, reg, company)
    assert vendors_in(company) == ["Ingram Micro", "v-Ortega, Luis"]
    (bill,) = bills_in(company)
    assert bill["VendorRef"]["FullName"] == "v-Ortega, Luis"
    assert bill["RefNumber"] == "EXR-77" and bill["TxnDate"] == "2026-11-08"
    assert bill["Memo"] == "Expense report EXR-77: Salem install trip"
    mileage, lunch = bill["ExpenseLineRet"]
    assert (mileage["AccountRef"]["FullName"], mileage["Amount"]) == ("Travel", "58.29")
    assert mileage["CustomerRef"]["FullName"] == "Bright:Downtown Clinic"
    assert mileage["BillableStatus"] == "NotBillable"
    assert lunch["AccountRef"]["FullName"] == "Meals and Entertainment"
    assert "CustomerRef" not in lunch
    assert bill["AmountDue"] == "81.39"
    transfer = engine.get_transfer("expense_report", "EXR-77", reg.connector_id)
    assert transfer["status"] == "succeeded"
    assert engine.get_document("expense_report", "EXR-77")["quickbooks"]["txn_id"] == bill["TxnID"]
    # The vendor made for the first report serves the next one; none is made twice.
    imported(engine, settings, report("EXR-78"))
    run_session(engine, reg, company)
    assert vendors_in(company) == ["Ingram Micro", "v-Ortega, Luis"]
    assert [b["VendorRef"]["FullName"] for b in bills_in(company)] == ["v-Ortega, Luis"] * 2


def test_a_mapped_vendor_is_used_and_no_vendor_is_created(office):
    engine, reg, company, settings = office
    map_(engine, reg, "resources-expenses", "RES-2", "Ingram Micro")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert vendors_in(company) == ["Ingram Micro"]
    assert [b["VendorRef"]["FullName"] for b in bills_in(company)] == ["Ingram Micro"]


def test_only_reimbursable_items_are_billed_and_a_cash_advance_is_a_negative_line(office):
    engine, reg, company, settings = office
    engine.change_connector(reg.connector_id, transfer_cash_advances=True)
    map_(engine, reg, "cash-advance", "account", "Employee Advances")
    with_advance = report("EXR-79", cash_advance="50.00")
    with_advance["items"].append(
        {"date": "2026-11-04", "expense_category_id": "EXP-2", "amount": "400.00",
         "reimbursable": False, "description": "Hotel on the company card"}
    )  # fmt: skip
    engine.withdraw("expense_report", ["EXR-77"], by="tests")
    imported(engine, settings, with_advance)
    run_session(engine, reg, company)
    (bill,) = bills_in(company)
    assert [(x["AccountRef"]["FullName"], x["Amount"]) for x in bill["ExpenseLineRet"]] == [
        ("Travel", "58.29"),
        ("Meals and Entertainment", "23.10"),
        ("Employee Advances", "-50.00"),
    ]
    assert bill["AmountDue"] == "31.39"


@pytest.mark.parametrize(
    "changes, total",
    [
        ({"cash_advance": "81.39"}, "0.00"),
        ({"cash_advance": "100.00"}, "-18.61"),
        ({"items": []}, "0.00"),
    ],
)
def test_a_report_with_nothing_to_pay_is_skipped_with_a_history_entry(office, changes, total):
    engine, reg, company, settings = office
    engine.change_connector(reg.connector_id, transfer_cash_advances=True)
    map_(engine, reg, "cash-advance", "account", "Employee Advances")
    engine.withdraw("expense_report", ["EXR-77"], by="tests")
    imported(engine, settings, report("EXR-80", **changes))
    run_session(engine, reg, company)
    assert bills_in(company) == []
    assert vendors_in(company) == ["Ingram Micro"]  # nothing made for a bill never sent
    transfer = engine.get_transfer("expense_report", "EXR-80", reg.connector_id)
    assert transfer["status"] == "skipped"
    caught_up(engine, settings)
    (row,) = history(settings, engine, kind="expense_reports", result="skipped")["rows"]
    assert row["psa_id"] == "EXR-80"
    assert f"the reimbursable total is {total}, so nothing is owed" in row["message"]
    # Skipped is neither queue: nothing waits for QuickBooks.
    assert engine.get_document("expense_report", "EXR-80")["status"] == "ready"
    run_session(engine, reg, company)
    assert bills_in(company) == []


def test_an_unmapped_category_fails_the_report_until_it_is_mapped(office):
    engine, reg, company, settings = office
    engine.clear_mapping(reg.connector_id, "expense-reimbursable", "EXP-2", by="tests")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    transfer = engine.get_transfer("expense_report", "EXR-77", reg.connector_id)
    assert transfer["status"] == "failed"
    assert (
        "expense category Meals is mapped to no expense account for non-billable"
        in (transfer["failure"]["message"])
    )
    assert bills_in(company) == []
    map_(engine, reg, "expense-reimbursable", "EXP-2", "Meals and Entertainment")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(bills_in(company)) == 1


def test_a_lost_answer_after_quickbooks_added_the_bill_is_found_not_resent(office):
    engine, reg, company, settings = office

    session(engine, reg, company, tamper=lost_after("<BillAddRq"))
    assert len(bills_in(company)) == 1
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(bills_in(company)) == 1
    assert vendors_in(company) == ["Ingram Micro", "v-Ortega, Luis"]
    transfer = engine.get_transfer("expense_report", "EXR-77", reg.connector_id)
    assert transfer["status"] == "verified"
    assert transfer["quickbooks"]["txn_id"] == bills_in(company)[0]["TxnID"]

"""What a timesheet becomes: per-day TimeTrackingAdds to a mapped or same-named entity, never a
new employee; `[do not transfer]` hours skipped and said so (engine.timesheets)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from engine.aggregates.mapping import Mapping
from engine.plans import CannotTransfer
from engine.timesheets import duration, minutes_of, plan_timesheet

DEMO = json.loads((Path(__file__).parent / "data" / "psa-demo.json").read_text())
NOW = datetime(2026, 12, 2, tzinfo=UTC)
KINDS = {"organizations", "billing_codes", "resources", "payroll_categories"}
RECORDS = {(k, r["id"]): r for k in KINDS for r in DEMO[k]}


def records(kind, psa_id):
    return RECORDS.get((kind, psa_id))


def target(list_name, name):
    return {"list": list_name, "list_id": "8000-1", "full_name": name}


def plan(mapping, find=lambda list_name, name: None, sheet=None):
    return plan_timesheet(
        sheet or DEMO["timesheets"][0], records, mapping, find,
        item_naming="billing_code", name_overflow="refuse",
    )  # fmt: skip


def test_durations_are_qbxml_intervals():
    assert duration(390) == "PT6H30M" and duration(0) == "PT0H0M"
    assert minutes_of("6.5", "x") == 390 and minutes_of("0.01", "x") == 1
    for bad in ("x", "-1", "25", "NaN"):
        with pytest.raises(CannotTransfer):
            minutes_of(bad, "x")


def test_an_unmapped_resource_without_a_namesake_fails_and_nothing_is_created():
    with pytest.raises(CannotTransfer, match="never created"):
        plan(Mapping(uuid4()))


def test_a_mapped_employee_gets_a_day_each_with_wage_items_and_skipped_time_off():
    mapping = Mapping(uuid4())
    mapping.set("resources-payroll", "RES-1", target("employees", "Dana Whitfield"), "t", NOW)
    mapping.set("payroll-categories", "PAY-1", target("payroll_items", "Hourly"), "t", NOW)
    mapping.set("payroll-categories", "PAY-2", {"special": "[do not transfer]"}, "t", NOW)
    parts = plan(mapping)
    sent = [p for p in parts.values() if p.skipped is None]
    assert [p.txn_date for p in sent] == ["2026-11-02", "2026-11-03"]
    first = sent[0].body
    assert first["EntityRef"] == {"FullName": "Dana Whitfield"}
    assert first["Duration"] == "PT6H30M" and first["BillableStatus"] == "NotBillable"
    assert first["PayrollItemWageRef"] == {"FullName": "Hourly"}
    assert first["CustomerRef"] == {"FullName": "Acme Dental Group"}
    assert "customers:acme dental group" in {n.key for n in sent[0].needs}
    (skipped,) = [p for p in parts.values() if p.skipped]
    assert "Vacation" in skipped.skipped and "[do not transfer]" in skipped.skipped


def test_an_employee_needs_a_wage_item_a_vendor_by_name_does_not():
    mapping = Mapping(uuid4())
    with pytest.raises(CannotTransfer, match="payroll wage item"):
        plan(mapping, lambda list_name, name: {} if list_name == "employees" else None)
    by_name = {("vendors", "Whitfield, Dana"): {}}
    vendor = plan(mapping, lambda list_name, name: by_name.get((list_name, name)))
    assert all("PayrollItemWageRef" not in p.body for p in vendor.values())
    assert {p.body["EntityRef"]["FullName"] for p in vendor.values()} == {"Whitfield, Dana"}


def test_only_an_approved_timesheet_goes():
    with pytest.raises(CannotTransfer, match="not approved"):
        plan(Mapping(uuid4()), sheet={**DEMO["timesheets"][0], "status": "submitted"})

"""Importing the PSA's records: the demo file, idempotence, changes, and every validation error."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from engine.psa.importing import ImportRefused
from tests.helpers import register_connector

DEMO = Path(__file__).resolve().parents[1] / "tests" / "data" / "psa-demo.json"


@pytest.fixture
def demo() -> dict:
    return json.loads(DEMO.read_text())


def events(engine) -> int:
    return engine.recorder.max_notification_id() or 0


def refused(engine, data, record: str, field: str, message: str) -> dict:
    """Import `data`, expect a refusal naming `record` and `field`, and nothing recorded."""
    before = events(engine)
    with pytest.raises(ImportRefused) as info:
        engine.import_psa(data, by="test")
    assert events(engine) == before
    errors = info.value.report["errors"]
    matching = [e for e in errors if e["record"] == record and e["field"] == field]
    assert matching, errors
    assert message in matching[0]["message"], matching
    return info.value.report


def test_the_demo_file_imports_cleanly_and_a_second_import_changes_nothing(engine, demo):
    report = engine.import_psa(demo, by="test")
    assert report["errors"] == [] and report["imported"] is True
    assert report["counts"]["invoices"] == {
        "created": 3,
        "changed": 0,
        "unchanged": 0,
        "refused": 0,
    }
    assert sum(c["created"] for c in report["counts"].values()) == 23
    assert sorted(report["marked_ready"]) == [
        "expense_reports/EXR-77",
        "invoices/INV-5001",
        "invoices/INV-5002",
        "purchase_orders/PO-9001",
        "timesheets/TS-301",
    ]
    assert engine.get_document("invoice", "INV-5003")["status"] == "not_ready"
    before = events(engine)
    again = engine.import_psa(demo, by="test")
    assert events(engine) == before
    assert all(c["created"] == c["changed"] == 0 for c in again["counts"].values())


def test_a_changed_record_is_a_changed_event_with_what_changed(engine, demo):
    engine.import_psa(demo, by="test")
    demo["organizations"][0]["phone"] = "503-555-0199"
    demo["invoices"][0]["lines"][1]["quantity"] = "1.50"  # same number: not a change
    report = engine.import_psa(demo, by="test")
    assert report["counts"]["organizations"]["changed"] == 1
    assert report["counts"]["invoices"]["changed"] == 0
    assert report["changes"] == [
        {"record": "organizations/ORG-100", "fields": {"phone": ["503-555-0100", "503-555-0199"]}}
    ]
    from engine.psa import record_id

    last = list(engine.events.get(record_id("organizations", "ORG-100")))[-1]
    assert type(last).__qualname__ == "PsaRecord.Changed"
    assert last.changes == {"phone": ["503-555-0100", "503-555-0199"]}


def test_a_document_changed_after_transfer_is_flagged_not_resent(engine, demo):
    reg = register_connector(engine)
    engine.import_psa(demo, by="test")
    engine.mark_transferred(
        "invoice", "INV-5001", connector_ref=reg.connector_id, reference="1001", by="test"
    )
    demo["invoices"][0]["po_number"] = "PO-AC-78"
    report = engine.import_psa(demo, by="test")
    assert report["changed_after_transfer"] == ["invoices/INV-5001"]
    invoice = engine.get_document("invoice", "INV-5001")
    assert invoice["status"] == "transferred" and invoice["changed_after_transfer"] is True


def test_withdrawn_documents_are_not_queued_again_by_an_import(engine, demo):
    engine.import_psa(demo, by="test")
    engine.withdraw("invoice", ["INV-5001"], by="test")
    report = engine.import_psa(demo, by="test")
    assert "invoices/INV-5001" not in report["marked_ready"]
    assert engine.get_document("invoice", "INV-5001")["status"] == "withdrawn"


def test_dry_run_reports_and_changes_nothing(engine, demo):
    report = engine.import_psa(demo, by="test", dry_run=True)
    assert report["dry_run"] is True and report["counts"]["organizations"]["created"] == 3
    assert events(engine) == 0


def test_continue_on_error_imports_the_good_records_and_refuses_the_rest(engine, demo):
    demo["organizations"][2]["name"] = ""  # ORG-102 is invalid...
    report = engine.import_psa(demo, by="test", continue_on_error=True)
    counts = report["counts"]
    assert counts["organizations"] == {"created": 2, "changed": 0, "unchanged": 0, "refused": 1}
    # ...so INV-5003, which bills it, has no organization and is refused too.
    assert counts["invoices"]["refused"] == 1 and counts["invoices"]["created"] == 2
    assert {e["record"] for e in report["errors"]} == {"organizations/ORG-102", "invoices/INV-5003"}


def test_references_may_point_at_records_imported_earlier(engine, demo):
    engine.import_psa(demo, by="test")
    later = {
        "format": "qbtransfer-psa/1",
        "invoices": [
            {
                "id": "INV-6000",
                "number": "6000",
                "organization_id": "ORG-100",
                "invoice_date": "2026-12-01",
                "lines": [{"billing_code_id": "BC-1", "amount": "10"}],
            }
        ],
    }
    assert engine.import_psa(later, by="test")["counts"]["invoices"]["created"] == 1


@pytest.mark.parametrize(
    "mutate, record, field, message",
    [
        (
            lambda d: d["invoices"][0].__setitem__("organization_id", "ORG-999"),
            "invoices/INV-5001",
            "organization_id",
            "unknown organization 'ORG-999'",
        ),
        (
            lambda d: d["invoices"][0]["lines"][1].__setitem__("billing_code_id", "BC-9"),
            "invoices/INV-5001",
            "lines[1].billing_code_id",
            "unknown billing code 'BC-9'",
        ),
        (
            lambda d: d["invoices"][0]["lines"][0].__setitem__("line_of_business_id", "LOB-7"),
            "invoices/INV-5001",
            "lines[0].line_of_business_id",
            "unknown line of business",
        ),
        (
            lambda d: d["timesheets"][0].__setitem__("resource_id", "RES-9"),
            "timesheets/TS-301",
            "resource_id",
            "unknown resource 'RES-9'",
        ),
        (
            lambda d: d["timesheets"][0]["entries"][2].__setitem__("payroll_category_id", "PAY-9"),
            "timesheets/TS-301",
            "entries[2].payroll_category_id",
            "unknown payroll category",
        ),
        (
            lambda d: d["expense_reports"][0]["items"][0].__setitem__(
                "expense_category_id", "EXP-9"
            ),
            "expense_reports/EXR-77",
            "items[0].expense_category_id",
            "unknown expense category",
        ),
        (
            lambda d: d["purchase_orders"][0]["lines"][0].__setitem__("product_id", "PRD-9"),
            "purchase_orders/PO-9001",
            "lines[0].product_id",
            "unknown product 'PRD-9'",
        ),
        (
            lambda d: d["invoices"][0]["lines"][0].__setitem__("amount", "11,25"),
            "invoices/INV-5001",
            "lines[0].amount",
            "not a decimal number",
        ),
        (
            lambda d: d["products"][0].__setitem__("unit_cost", 910),
            "products/PRD-1",
            "unit_cost",
            "is a number; write money",
        ),
        (
            lambda d: d["invoices"][0].__setitem__("invoice_date", "11/02/2026"),
            "invoices/INV-5001",
            "invoice_date",
            "not a date (use YYYY-MM-DD)",
        ),
        (
            lambda d: d["invoices"][0].__setitem__("due_date", "2026-02-30"),
            "invoices/INV-5001",
            "due_date",
            "not a real date",
        ),
        (
            lambda d: d["invoices"].append(copy.deepcopy(d["invoices"][0])),
            "invoices/INV-5001",
            "id",
            "duplicate id in this file",
        ),
        (
            lambda d: d["timesheets"][0].__setitem__("status", "submitted"),
            "timesheets/TS-301",
            "ready_to_transfer",
            "only approved timesheets",
        ),
        (
            lambda d: d["expense_reports"][0].__setitem__("status", "rejected"),
            "expense_reports/EXR-77",
            "ready_to_transfer",
            "only approved expense reports",
        ),
        (
            lambda d: d["timesheets"][0]["entries"][0].__setitem__("hours", "-2"),
            "timesheets/TS-301",
            "entries[0].hours",
            "negative time",
        ),
        (
            lambda d: d["timesheets"][0]["entries"][0].__setitem__("date", "2026-11-20"),
            "timesheets/TS-301",
            "entries[0].date",
            "outside the period",
        ),
        (
            lambda d: d["timesheets"][0].__setitem__("period_end", "2026-11-01"),
            "timesheets/TS-301",
            "period_end",
            "before period_start",
        ),
        (
            lambda d: d["purchase_orders"][0]["lines"][0].__setitem__("quantity", "-4"),
            "purchase_orders/PO-9001",
            "lines[0].quantity",
            "positive quantity",
        ),
        (
            lambda d: d["purchase_orders"][0]["received"][0].__setitem__("quantity", "-1"),
            "purchase_orders/PO-9001",
            "received[0].quantity",
            "cannot be negative",
        ),
        (
            lambda d: (
                d["purchase_orders"][0]["received"][0].__setitem__("product_id", "PRD-1")
                or d["purchase_orders"][0]["lines"].pop(1)
            ),
            "purchase_orders/PO-9001",
            "received[0].product_id",
            "not on this purchase order",
        ),
        (
            lambda d: d["purchase_orders"][0].__setitem__("status", "canceled"),
            "purchase_orders/PO-9001",
            "ready_to_transfer",
            "canceled purchase orders",
        ),
        (
            lambda d: d["expense_reports"][0].__setitem__("cash_advance", "-5"),
            "expense_reports/EXR-77",
            "cash_advance",
            "cannot be negative",
        ),
        (
            lambda d: d["organizations"][0].__setitem__("nickname", "Acme"),
            "organizations/ORG-100",
            "nickname",
            "not part of the qbtransfer-psa/1 format",
        ),
        (
            lambda d: d["resources"][0].pop("last_name"),
            "resources/RES-1",
            "last_name",
            "is required",
        ),
        (
            lambda d: d["invoices"][0]["lines"].clear(),
            "invoices/INV-5001",
            "lines",
            "should be non-empty",
        ),
        (
            lambda d: d.__setitem__("format", "qbtransfer-psa/2"),
            "file",
            "format",
            "must be 'qbtransfer-psa/1'",
        ),
        (
            lambda d: d.__setitem__("customers", []),
            "file",
            "customers",
            "not part of the qbtransfer-psa/1 format",
        ),
    ],
)
def test_every_validation_error_names_the_record_and_the_field(
    engine, demo, mutate, record, field, message
):
    mutate(demo)
    refused(engine, demo, record, field, message)


def test_a_file_that_is_not_an_object(engine):
    with pytest.raises(ImportRefused, match="must be a JSON object"):
        engine.import_psa(["not", "an", "object"], by="test")

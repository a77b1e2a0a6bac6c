"""Purchase orders into QuickBooks, on the one connector that transfers them: the vendor and
the inventory parts created when missing, the PurchaseOrderAdd, exactly once."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from engine import naming
from tests.helpers import run_session
from tests.qbsim.writes import add_list_record
from tests.test_transfers_invoices import caught_up, lost_after, session, synced_demo
from web.views import history

DEMO = json.loads((Path(__file__).parent / "data" / "psa-demo.json").read_text())
U7 = naming.product_item_name(DEMO["products"][1]["name"]).name  # cut at 31, as documented


@pytest.fixture
def store(settings):
    """The demo company synced, the demo PSA file imported, purchase orders switched on."""
    engine, reg, company = synced_demo(settings)
    engine.import_psa(DEMO, by="tests")
    caught_up(engine, settings)
    engine.change_connector(reg.connector_id, transfers={"purchase_orders": True})
    caught_up(engine, settings)
    try:
        yield engine, reg, company, settings
    finally:
        engine.close()


def orders_in(company) -> list[dict]:
    return list(company.txns["PurchaseOrder"].values())


def imported(engine, settings, *orders) -> None:
    engine.import_psa({"format": DEMO["format"], "purchase_orders": list(orders)}, by="tests")
    caught_up(engine, settings)


def test_a_purchase_order_lands_with_its_new_inventory_part_and_income_account(store):
    engine, reg, company, settings = store
    assert U7 == "Ubiquiti UniFi U7 Pro Wireless"  # 31 characters, the space cut
    run_session(engine, reg, company)
    (order,) = orders_in(company)
    assert order["VendorRef"]["FullName"] == "Ingram Micro"
    assert order["ShipToEntityRef"]["FullName"] == "Bright:Downtown Clinic"
    assert order["ShipMethodRef"]["FullName"] == "UPS Ground"
    assert order["FOB"] == "FOB Origin" and order["TxnDate"] == "2026-11-01"
    assert order["VendorMsg"] == "Access points for Bright Clinic"
    u7, laptop = order["PurchaseOrderLineRet"]
    assert (u7["ItemRef"]["FullName"], u7["Quantity"], u7["Rate"]) == (U7, "4", "149.00")
    assert u7["ManufacturerPartNumber"] == "U7-PRO"
    assert laptop["ItemRef"]["FullName"] == "Dell Latitude 5550 Laptop"
    part = company.find(["item_inventory"], U7)
    assert part["IncomeAccountRef"]["FullName"] == "Autotask Income from PO"
    assert part["COGSAccountRef"]["FullName"] == "Cost of Goods Sold"
    assert part["AssetAccountRef"]["FullName"] == "Inventory Asset"
    account = company.find(["account"], "Autotask Income from PO")
    assert account["AccountType"] == "Income"
    document = engine.get_document("purchase_order", "PO-9001")
    assert document["status"] == "transferred"
    assert document["quickbooks"]["ref_number"] == order["RefNumber"]
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(orders_in(company)) == 1


def test_a_missing_vendor_is_created_and_a_connector_income_account_is_used(store):
    engine, reg, company, settings = store
    engine.change_connector(reg.connector_id, income_account="Consulting Income")
    engine.withdraw("purchase_order", ["PO-9001"], by="tests")
    order = copy.deepcopy(DEMO["purchase_orders"][0])
    order.update(id="PO-9002", number="9002", vendor_name="TD Synnex", shipping_type="Drone")
    order.pop("ship_to_organization_id")
    imported(engine, settings, order)
    run_session(engine, reg, company)
    (placed,) = orders_in(company)
    assert placed["VendorRef"]["FullName"] == "TD Synnex"
    assert company.find(["vendor"], "TD Synnex") is not None
    assert "ShipMethodRef" not in placed  # no such ship method in QuickBooks: left blank
    assert "ShipToEntityRef" not in placed  # QuickBooks ships to the company's address
    part = company.find(["item_inventory"], U7)
    assert part["IncomeAccountRef"]["FullName"] == "Consulting Income"
    assert company.find(["account"], "Autotask Income from PO") is None


def test_a_non_inventory_item_of_the_same_name_blocks_the_order(store):
    engine, reg, company, settings = store
    add_list_record(
        company,
        "item_non_inventory",
        {"Name": U7, "SalesOrPurchase": {"AccountRef": {"FullName": "Autotask Other"}}},
    )
    run_session(engine, reg, company)
    assert orders_in(company) == []
    transfer = engine.get_transfer("purchase_order", "PO-9001", reg.connector_id)
    assert transfer["status"] == "failed"
    message = transfer["failure"]["message"]
    assert f"QuickBooks already has {U7!r} as a non-inventory part, not an inventory part" in (
        message
    )
    assert company.find(["item_inventory"], U7) is None


def test_a_lost_answer_after_quickbooks_added_the_order_is_found_not_resent(store):
    engine, reg, company, settings = store

    session(engine, reg, company, tamper=lost_after("<PurchaseOrderAddRq"))
    assert len(orders_in(company)) == 1
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(orders_in(company)) == 1
    transfer = engine.get_transfer("purchase_order", "PO-9001", reg.connector_id)
    assert transfer["status"] == "verified"
    assert [len(company.lists["item_inventory"])] == [2]


def test_a_receipt_becomes_one_item_receipt_linked_to_the_order_line(store):
    engine, reg, company, settings = store
    run_session(engine, reg, company)  # the order, then (its order now placed) its receipt
    (order,) = orders_in(company)
    (receipt,) = company.txns["ItemReceipt"].values()
    (line,) = receipt["ItemLineRet"]
    u7_line = order["PurchaseOrderLineRet"][0]
    assert (line["ItemRef"]["FullName"], line["Quantity"]) == (U7, "4")
    assert receipt["TxnDate"] == "2026-11-05"
    assert u7_line["ReceivedQuantity"] == "4"
    assert company.find(["item_inventory"], U7)["QuantityOnHand"] == "4"
    parts = engine.get_transfer("purchase_order", "PO-9001", reg.connector_id)["parts"]
    assert [p["status"] for p in parts] == ["succeeded", "succeeded"]
    # A later receipt in the PSA is one more ItemReceiptAdd; the first is not sent again.
    later = copy.deepcopy(DEMO["purchase_orders"][0])
    later["received"].append({"product_id": "PRD-1", "quantity": "2", "date": "2026-11-09"})
    later["status"] = "received"
    imported(engine, settings, later)
    run_session(engine, reg, company)
    assert len(company.txns["ItemReceipt"]) == 2
    assert order["PurchaseOrderLineRet"][1]["ReceivedQuantity"] == "2"
    assert len(orders_in(company)) == 1 and "EditSequence" in order  # no Mod for receipts
    run_session(engine, reg, company)
    assert len(company.txns["ItemReceipt"]) == 2


def test_a_lost_receipt_answer_is_found_not_resent(store):
    engine, reg, company, settings = store

    session(engine, reg, company, tamper=lost_after("<ItemReceiptAddRq"))
    assert len(company.txns["ItemReceipt"]) == 1
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(company.txns["ItemReceipt"]) == 1
    assert company.find(["item_inventory"], U7)["QuantityOnHand"] == "4"
    parts = engine.get_transfer("purchase_order", "PO-9001", reg.connector_id)["parts"]
    assert parts[1]["status"] == "verified"


def test_an_order_changed_after_transfer_is_modified_even_with_a_stale_edit_sequence(store):
    engine, reg, company, settings = store
    run_session(engine, reg, company)
    (order,) = orders_in(company)
    line_ids = [x["TxnLineID"] for x in order["PurchaseOrderLineRet"]]
    changed = copy.deepcopy(DEMO["purchase_orders"][0])
    changed["lines"][1]["quantity"] = "3"
    changed["memo"] = "Access points and a spare laptop"
    imported(engine, settings, changed)
    document = engine.get_document("purchase_order", "PO-9001")
    assert document["changed_after_transfer"] is True
    caught_up(engine, settings)
    edited = []

    def someone_edits_it_in_quickbooks(n, request):
        if "<PurchaseOrderQueryRq" in request and "IncludeLineItems" in request and not edited:
            edited.append(n)
            company.stamp_modified(company.txns["PurchaseOrder"][order["TxnID"]])

    session(engine, reg, company, between=someone_edits_it_in_quickbooks)
    assert edited
    (modded,) = orders_in(company)
    assert modded["VendorMsg"] == "Access points and a spare laptop"
    assert [x["Quantity"] for x in modded["PurchaseOrderLineRet"]] == ["4", "3"]
    assert [x["TxnLineID"] for x in modded["PurchaseOrderLineRet"]] == line_ids
    assert modded["PurchaseOrderLineRet"][0]["ReceivedQuantity"] == "4"  # the receipt stays
    assert engine.get_document("purchase_order", "PO-9001")["changed_after_transfer"] is False
    caught_up(engine, settings)
    rows = history(settings, engine, kind="purchase_orders", document="purchase_order:PO-9001")
    codes = [r["code"] for r in rows["rows"]]
    assert 3200 in codes  # the stale EditSequence, read again and resent in the same session


def test_receipts_waiting_for_their_orders_go_at_the_end_of_the_same_session(store, monkeypatch):
    # One transfer per batch: a receipt may come before its order in the queue (they are
    # queued together); it waits for the end of the pass instead of the next session.
    engine, reg, company, settings = store
    monkeypatch.setattr("engine.steps.transfers.BATCH_SIZE", 1)
    engine.withdraw("purchase_order", ["PO-9001"], by="tests")
    orders = []
    for n in range(3):
        order = copy.deepcopy(DEMO["purchase_orders"][0])
        order.update(id=f"PO-93{n}", number=f"93{n}")
        orders.append(order)
    imported(engine, settings, *orders)
    run_session(engine, reg, company)
    assert len(orders_in(company)) == 3
    assert len(company.txns["ItemReceipt"]) == 3
    assert on_hand_of(company, U7) == "12"


def on_hand_of(company, name) -> str:
    return company.find(["item_inventory"], name)["QuantityOnHand"]


def test_a_lost_modification_answer_is_read_again_and_resent_harmlessly(store):
    engine, reg, company, settings = store
    run_session(engine, reg, company)
    changed = copy.deepcopy(DEMO["purchase_orders"][0])
    changed["lines"][1]["quantity"] = "5"
    imported(engine, settings, changed)
    caught_up(engine, settings)

    session(engine, reg, company, tamper=lost_after("<PurchaseOrderModRq"))
    (order,) = orders_in(company)
    assert order["PurchaseOrderLineRet"][1]["Quantity"] == "5"
    caught_up(engine, settings)
    run_session(engine, reg, company)  # read again (a new EditSequence), the same values sent
    (order,) = orders_in(company)
    assert [x["Quantity"] for x in order["PurchaseOrderLineRet"]] == ["4", "5"]
    assert len(order["PurchaseOrderLineRet"]) == 2
    parts = engine.get_transfer("purchase_order", "PO-9001", reg.connector_id)["parts"]
    assert parts[0]["status"] == "succeeded"
    assert engine.get_document("purchase_order", "PO-9001")["changed_after_transfer"] is False

"""The full inventory sync: QuickBooks' quantity on hand set to the PSA's, once, in single-user
mode only; items received against an order already in QuickBooks skipped and logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.steps.inventory import MULTI_USER
from tests.helpers import run_session
from tests.qbsim.writes import add_list_record
from tests.test_transfers_invoices import caught_up, lost_after, session, synced_demo
from tests.test_transfers_purchase_orders import U7

DEMO = json.loads((Path(__file__).parent / "data" / "psa-demo.json").read_text())
LAPTOP = "Dell Latitude 5550 Laptop"
DOCK = {"id": "PRD-3", "name": "Dell WD19S Dock", "unit_cost": "150.00", "on_hand": "9"}


@pytest.fixture
def store(settings):
    """The demo company and PSA file, purchase orders on, the demo order already placed
    (with its receipt), and one more product QuickBooks does not have."""
    engine, reg, company = synced_demo(settings)
    add_list_record(
        company, "account", {"Name": "Inventory Adjustment", "AccountType": "CostOfGoodsSold"}
    )
    engine.import_psa({**DEMO, "products": [*DEMO["products"], DOCK]}, by="tests")
    caught_up(engine, settings)
    engine.change_connector(reg.connector_id, transfers={"purchase_orders": True})
    caught_up(engine, settings)
    run_session(engine, reg, company)
    caught_up(engine, settings)
    engine.change_connector(reg.connector_id, sync_inventory_now=True)
    try:
        yield engine, reg, company, settings
    finally:
        engine.close()


def adjustments(company) -> list[dict]:
    return list(company.txns["InventoryAdjustment"].values())


def on_hand(company, name) -> str:
    return company.find(["item_inventory"], name)["QuantityOnHand"]


def test_single_user_sets_every_count_creates_missing_items_and_skips_ordered_ones(store):
    engine, reg, company, settings = store
    assert on_hand(company, U7) == "4"  # the demo order's receipt
    run_session(engine, reg, company)
    (adjustment,) = adjustments(company)
    assert adjustment["AccountRef"]["FullName"] == "Inventory Adjustment"
    assert on_hand(company, LAPTOP) == "6"
    assert on_hand(company, "Dell WD19S Dock") == "9"  # created, then counted
    assert on_hand(company, U7) == "4"  # received against order 9001: skipped, not 12
    connector = engine.get_connector(reg.connector_id)
    assert connector["sync_inventory_on_next_run"] is False
    assert connector["last_inventory_sync"] is not None
    (run,) = engine.inventory_history(reg.connector_id)["runs"]
    assert (run["outcome"], run["adjusted"], run["txn_id"]) == (
        "succeeded", 2, adjustment["TxnID"]
    )  # fmt: skip
    (skipped,) = run["skipped"]
    assert skipped["item"] == DEMO["products"][1]["name"]
    assert "received against purchase order 9001, which is in QuickBooks" in skipped["reason"]
    # One-shot: the next session syncs nothing.
    run_session(engine, reg, company)
    assert len(adjustments(company)) == 1


def test_multi_user_fails_the_whole_run_clears_the_box_and_stamps_nothing(store):
    engine, reg, company, settings = store
    company.file_mode = "MultiUser"
    run_session(engine, reg, company)
    assert adjustments(company) == []
    assert company.find(["item_inventory"], "Dell WD19S Dock") is None  # nothing created
    connector = engine.get_connector(reg.connector_id)
    assert connector["sync_inventory_on_next_run"] is False
    assert connector["last_inventory_sync"] is None
    (run,) = engine.inventory_history(reg.connector_id)["runs"]
    assert run["outcome"] == "failed" and run["message"] == MULTI_USER


def test_a_lost_answer_after_quickbooks_applied_the_adjustment_is_found_not_resent(store):
    engine, reg, company, settings = store

    session(engine, reg, company, tamper=lost_after("<InventoryAdjustmentAddRq"))
    assert len(adjustments(company)) == 1
    history = engine.inventory_history(reg.connector_id)
    assert history["in_doubt"] is True and history["runs"] == []
    assert engine.get_connector(reg.connector_id)["sync_inventory_on_next_run"] is True
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(adjustments(company)) == 1
    (run,) = engine.inventory_history(reg.connector_id)["runs"]
    assert run["outcome"] == "succeeded" and "found in QuickBooks" in run["message"]
    assert engine.get_connector(reg.connector_id)["sync_inventory_on_next_run"] is False


def test_without_the_inventory_adjustment_account_the_run_fails_saying_so(store):
    engine, reg, company, settings = store
    company.delete_list_record("account", "Inventory Adjustment")
    run_session(engine, reg, company)
    assert adjustments(company) == []
    (run,) = engine.inventory_history(reg.connector_id)["runs"]
    assert run["outcome"] == "failed"
    assert 'invalid reference to QuickBooks Account "Inventory Adjustment"' in run["message"]
    assert engine.get_connector(reg.connector_id)["last_inventory_sync"] is None

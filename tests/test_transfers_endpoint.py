"""Invoices through the SOAP endpoint, driven by the simulated Web Connector as in production,
with everything the issue names going wrong on the way: each invoice ends in QuickBooks once,
and nothing is left stuck."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from uuid import UUID

from engine.aggregates.transfer import Transfer
from tests.helpers import demo_company
from tests.qbsim.webconnector import Faults
from tests.qbsim.writes import add_list_record
from tests.test_qbwc_sync import serving_app
from tests.test_qbwc_sync import update as scheduled_update
from tests.test_transfers_invoices import caught_up

DEMO = json.loads((Path(__file__).parent / "data" / "psa-demo.json").read_text())
DONE = {"succeeded", "verified"}


def update(live, company, faults: Faults | None = None):
    """One scheduled update of the simulated Web Connector, the read models caught up first."""
    caught_up(live.engine, live.settings)
    return scheduled_update(live, company, faults=faults)


def lose_the_answer_to(marker: str, company, faults: Faults):
    """QBWC dies right after QuickBooks applied the first message that carries `marker`
    (undone by `del company.process`)."""
    process, counted = company.process, []

    def processing(request: str) -> str:
        counted.append(request)
        if marker in request and faults.lose_response_after is None:
            faults.lose_response_after = len(counted)
        return process(request)

    company.process = processing


def transfer(engine, live, psa_id):
    return engine.get_transfer("invoice", psa_id, live.reg.connector_id)


def test_every_invoice_reaches_quickbooks_once_whatever_goes_wrong(
    engine, settings, web_app, monkeypatch
):
    with serving_app(engine, settings, web_app) as live:
        company = demo_company()
        company.write_file_id(live.reg.owner_id, live.reg.file_id)
        assert update(live, company).outcome == "completed"
        acme = next(
            c for c in company.lists["customer"].values() if c["Name"] == "Acme Dental Group"
        )
        email = acme.pop("Email")
        company.stamp_modified(acme)
        engine.import_psa(DEMO, by="tests")
        engine.mark_ready("invoice", ["INV-5003"], by="tests")  # its organization's name is 50 long
        engine.change_connector(live.reg.connector_id, transfers={"invoices": True})
        company.inject_status("InvoiceAddRq", 3170)  # QuickBooks is busy for the first add

        # A: nothing can go in; each says why.
        assert update(live, company).outcome == "completed"
        assert not company.txns["Invoice"]
        failures = {p: transfer(engine, live, p)["failure"] for p in ("INV-5001", "INV-5002")}
        assert "no e-mail address" in failures["INV-5001"]["message"]
        assert failures["INV-5002"]["code"] == 3170 and failures["INV-5002"]["transient"]
        too_long = transfer(engine, live, "INV-5003")["failure"]["message"]
        assert "QuickBooks allows 41" in too_long

        # B: the accountant fixes QuickBooks, the PSA shortens the name; QBWC then dies after
        # QuickBooks applied the invoices.
        acme["Email"] = email
        company.stamp_modified(acme)
        renamed = copy.deepcopy(DEMO)
        renamed["organizations"][2]["name"] = "Cascade Logistics"
        renamed["invoices"][2]["ready_to_transfer"] = True
        engine.import_psa(renamed, by="tests")
        faults = Faults()
        lose_the_answer_to("<InvoiceAddRq", company, faults)
        assert update(live, company, faults).outcome == "crashed"
        del company.process
        assert len(company.txns["Invoice"]) == 3
        assert {transfer(engine, live, p)["status"] for p in ("INV-5001", "INV-5002")} == {"sent"}

        # C: two more invoices, one of them to a class QuickBooks no longer has (3140); the
        # server dies before it stores QuickBooks' answer to them.
        more = {
            "invoices": [
                {**copy.deepcopy(DEMO["invoices"][0]), "id": "INV-6001", "number": "6001"},
                {**copy.deepcopy(DEMO["invoices"][1]), "id": "INV-6002", "number": "6002"},
            ]
        }
        engine.import_psa({**renamed, **more}, by="tests")
        engine.set_mapping(
            live.reg.connector_id, "lines-of-business", "LOB-2", "Managed Services",
            directory=engine.directory, by="tests",
        )  # fmt: skip
        company.delete_list_record("class", "Managed Services")
        real_save = type(engine).save

        def killed(self, *objs, **kwargs):
            if any(
                isinstance(o, Transfer)
                and o.pending_events
                and isinstance(o.pending_events[-1], Transfer.Succeeded)
                for o in objs
            ):
                raise RuntimeError("the server was killed")
            return real_save(self, *objs, **kwargs)

        monkeypatch.setattr(type(engine), "save", killed)
        assert update(live, company).outcome != "completed"
        monkeypatch.setattr(type(engine), "save", real_save)
        assert len(company.txns["Invoice"]) == 4  # B's three were found, not resent; 6001 went

        # D: C's transfers are looked for first: 6001 is found, 6002 is not and fails again.
        assert update(live, company).outcome == "completed"
        assert transfer(engine, live, "INV-6001")["status"] == "verified"
        failed = transfer(engine, live, "INV-6002")
        assert failed["status"] == "failed" and failed["failure"]["code"] == 3140
        attempts = failed["attempts"]
        assert update(live, company).outcome == "completed"
        assert transfer(engine, live, "INV-6002")["attempts"] == attempts  # waits for a change

        # E: the class is back; the update records it, so the lists changed: the invoice goes.
        add_list_record(company, "class", {"Name": "Managed Services"})
        assert update(live, company).outcome == "completed"
        assert update(live, company).outcome == "none"  # nothing is left to do

        ready = ("INV-5001", "INV-5002", "INV-5003", "INV-6001", "INV-6002")
        transfers = {p: transfer(engine, live, p) for p in ready}
        assert {t["status"] for t in transfers.values()} <= DONE, transfers
        guids = [i.get("ExternalGUID") for i in company.txns["Invoice"].values()]
        assert len(guids) == len(set(guids)) == len(ready)
        for psa_id, done in transfers.items():
            txn = company.txn(done["quickbooks"]["txn_id"])
            assert txn is not None and txn["ExternalGUID"] is not None, psa_id
            document = engine.get_document("invoice", psa_id)
            assert document["status"] == "transferred"
            assert document["quickbooks"]["txn_id"] == done["quickbooks"]["txn_id"]
        caught_up(engine, settings)
        assert engine.queue.count_open(UUID(live.reg.connector_id), "invoices") == 0


def test_every_type_and_the_inventory_sync_through_the_endpoint_once_despite_a_lost_answer(
    engine, settings, web_app
):
    # What an admin does: every transfer box on, the mappings the types need, an inventory
    # sync asked for; QBWC dies after QuickBooks applied the message that adds the bill.
    with serving_app(engine, settings, web_app) as live:
        company = demo_company()
        company.write_file_id(live.reg.owner_id, live.reg.file_id)
        add_list_record(
            company, "account", {"Name": "Inventory Adjustment", "AccountType": "CostOfGoodsSold"}
        )
        assert update(live, company).outcome == "completed"
        engine.import_psa(DEMO, by="tests")
        caught_up(engine, settings)
        for category, psa_id, target in (
            ("payroll-categories", "PAY-1", "Regular Pay"),
            ("payroll-categories", "PAY-2", "[do not transfer]"),
            ("expense-billable", "EXP-1", "Travel"),
            ("expense-reimbursable", "EXP-2", "Meals and Entertainment"),
        ):
            engine.set_mapping(
                live.reg.connector_id, category, psa_id, target,
                directory=engine.directory, by="tests",
            )  # fmt: skip
        engine.change_connector(
            live.reg.connector_id,
            transfers=dict.fromkeys(
                ("invoices", "timesheets", "expense_reports", "purchase_orders"), True
            ),
        )
        engine.change_connector(live.reg.connector_id, sync_inventory_now=True)
        faults = Faults()
        lose_the_answer_to("<BillAddRq", company, faults)
        update(live, company, faults)
        del company.process
        assert len(company.txns["Bill"]) == 1  # applied; its answer lost
        for _ in range(2):
            assert update(live, company).outcome == "completed"
        counts = {t: len(company.txns[t]) for t in ("Invoice", "TimeTracking", "Bill")}
        assert counts == {"Invoice": 2, "TimeTracking": 2, "Bill": 1}
        assert len(company.txns["PurchaseOrder"]) == 1 and len(company.txns["ItemReceipt"]) == 1
        assert len(company.txns["InventoryAdjustment"]) == 1
        bill = engine.get_transfer("expense_report", "EXR-77", live.reg.connector_id)
        assert bill["status"] in DONE
        for kind, psa_id in (("timesheet", "TS-301"), ("purchase_order", "PO-9001")):
            parts = engine.get_transfer(kind, psa_id, live.reg.connector_id)["parts"]
            assert {p["status"] for p in parts} <= DONE | {"skipped"}
        assert engine.get_connector(live.reg.connector_id)["last_inventory_sync"] is not None

"""Invoices into QuickBooks, exactly once: queued when ready, sent with their customers and
items, verified when an answer is lost, never duplicated."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest

from engine.aggregates.transfer import Transfer
from projections.runtime import fresh_view
from tests.helpers import API_PASSWORD, demo_company, register_connector, run_session
from web.bootstrap import bootstrap

DEMO = json.loads((Path(__file__).parent / "data" / "psa-demo.json").read_text())
DEMO_READY = ("INV-5001", "INV-5002")  # the demo's invoices marked Ready to Transfer


def synced_demo(settings):
    """A fresh engine and the demo company, linked and synced by a first session:
    (engine, registration, company)."""
    engine = bootstrap(settings)
    reg = register_connector(engine)
    company = demo_company()
    company.write_file_id(reg.owner_id, reg.file_id)
    run_session(engine, reg, company)
    return engine, reg, company


def lost_after(marker: str):
    """A `session` tamper: QBWC dies right after QuickBooks applied the first message that
    carries `marker` (an `<...AddRq`), so its answer never reaches the engine."""

    def tamper(n, request, answer):
        if marker in request:
            return None
        return answer, ""

    return tamper


def caught_up(engine, settings) -> None:
    """What the runners do in the server: every read model applies what was stored."""
    for name in ("quickbookslists", "transfers", "psarecords"):
        fresh_view(settings, engine, name).close()


def invoices_in(company) -> list[dict]:
    return list(company.txns["Invoice"].values())


def test_ready_invoices_reach_quickbooks_once_with_their_customers_and_items(shop):
    engine, reg, company, settings = shop
    queued = engine.get_transfer("invoice", "INV-5001", reg.connector_id)
    assert queued["status"] == "queued"
    caught_up(engine, settings)
    run_session(engine, reg, company)
    invoices = invoices_in(company)
    assert sorted(i["CustomerRef"]["FullName"] for i in invoices) == [
        "Acme Dental Group",
        "Bright:Downtown Clinic",
    ]
    customers = {c["FullName"] for c in company.lists["customer"].values()}
    assert {"Bright", "Bright:Downtown Clinic"} <= customers
    items = {i["FullName"] for i in company.lists["item_service"].values()}
    assert {"Tech", "Tech:On-Site Service", "Managed Workstation", "Hardware"} <= items
    for psa_id in ("INV-5001", "INV-5002"):
        transfer = engine.get_transfer("invoice", psa_id, reg.connector_id)
        assert transfer["status"] == "succeeded", transfer
        txn = company.txn(transfer["quickbooks"]["txn_id"])
        assert txn["ExternalGUID"].startswith("{")
        document = engine.get_document("invoice", psa_id)
        assert document["status"] == "transferred"
        assert document["quickbooks"]["txn_id"] == transfer["quickbooks"]["txn_id"]
        assert document["quickbooks"]["ref_number"] == txn["RefNumber"]
    acme = next(i for i in invoices if i["CustomerRef"]["FullName"] == "Acme Dental Group")
    assert acme["IsToBeEmailed"] == "true" and acme["PONumber"] == "PO-AC-77"
    # A second session sends nothing again.
    caught_up(engine, settings)
    run_session(engine, reg, company)
    assert len(invoices_in(company)) == 2


def session(engine, reg, company, tamper=None, between=None) -> str:
    """One QBWC update through the engine's commands; `tamper(n, request, answer)` may change
    QuickBooks' answer to the nth message (returning (answer, hresult)), or return None to
    stand for QBWC dying after QuickBooks applied it (nothing is delivered, nothing closed);
    `between(n, request)` runs after the nth answer is delivered, before the next message."""
    ticket = engine.qbwc_authenticate(reg.registration_id, "qbwc-api", API_PASSWORD)[0]
    company.begin_session()
    request = engine.qbwc_send_request(
        reg.registration_id, ticket, company.hcp_response(), company.path, "US", 13, 0
    )
    n = 0
    while request:
        n += 1
        answer, hresult = company.process(request), ""
        if tamper is not None:
            changed = tamper(n, request, answer)
            if changed is None:
                company.end_session()
                return ticket
            answer, hresult = changed
        progress = engine.qbwc_receive_response(
            reg.registration_id, ticket, answer, hresult, "boom" if hresult else ""
        )
        if progress >= 100 or progress < 0:
            break
        if between is not None:
            between(n, request)
        request = engine.qbwc_send_request(
            reg.registration_id, ticket, "", company.path, "US", 13, 0
        )
    engine.qbwc_close(reg.registration_id, ticket)
    company.end_session()
    return ticket


def on_invoices(action):
    """A tamper acting on the first message that adds invoices."""
    done = []

    def tamper(n, request, answer):
        if "<InvoiceAddRq" in request and not done:
            done.append(n)
            return action(request, answer)
        return answer, ""

    return tamper


def statuses(engine, reg, *psa_ids):
    return [engine.get_transfer("invoice", p, reg.connector_id)["status"] for p in psa_ids]


@pytest.mark.parametrize("change", ["mark-transferred", "withdraw", "map-class"])
def test_an_admin_change_between_two_calls_of_a_session_is_seen_by_the_next(
    shop, monkeypatch, change
):
    # One invoice per batch: the second is taken, and kept in the session's working set,
    # when the first one's answer arrives; the admin acts before the next message is built.
    engine, reg, company, settings = shop
    monkeypatch.setattr("engine.steps.transfers.BATCH_SIZE", 1)
    caught_up(engine, settings)
    acted = []

    def admin(n, request):
        if "<InvoiceAddRq" not in request or acted:
            return
        waiting = [p for p in ("INV-5001", "INV-5002") if statuses(engine, reg, p) == ["queued"]]
        assert len(waiting) == 1
        acted.extend(waiting)
        if change == "withdraw":
            engine.withdraw("invoice", waiting, by="admin")
        elif change == "map-class":  # nothing the step writes to: only a fresh load sees it
            for line_of_business in ("LOB-1", "LOB-2"):
                engine.set_mapping(
                    reg.connector_id, "lines-of-business", line_of_business, "Managed Services",
                    directory=engine.directory, by="admin",
                )  # fmt: skip
        else:
            engine.mark_transferred(
                "invoice", waiting[0], connector_ref=str(reg.connector_id), reference="77",
                by="admin",
            )  # fmt: skip

    session(engine, reg, company, between=admin)
    if change == "map-class":
        first, second = invoices_in(company)
        assert not any("ClassRef" in line for line in first["InvoiceLineRet"])
        classes = {line["ClassRef"]["FullName"] for line in second["InvoiceLineRet"]}
        assert classes == {"Managed Services"}
    else:
        assert len(invoices_in(company)) == 1
        expected = "withdrawn" if change == "withdraw" else "marked_transferred"
        assert statuses(engine, reg, *acted) == [expected]


def test_switching_invoices_off_stops_sends_and_loses_nothing_in_flight(shop):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    session(engine, reg, company, on_invoices(lambda request, answer: None))
    assert statuses(engine, reg, *DEMO_READY) == ["sent", "sent"]
    engine.change_connector(reg.connector_id, transfers={"invoices": False})
    caught_up(engine, settings)
    ticket = session(engine, reg, company)
    exchanges = engine.get_session(engine.get_session_id(ticket))["exchanges"]
    assert not any("Invoice" in x["request_xml"] for x in exchanges)
    # The session that lost the answer was abandoned when this one began: in doubt, kept.
    assert statuses(engine, reg, *DEMO_READY) == ["in_doubt", "in_doubt"]
    assert len(invoices_in(company)) == 2
    engine.change_connector(reg.connector_id, transfers={"invoices": True})
    caught_up(engine, settings)
    session(engine, reg, company)
    assert statuses(engine, reg, *DEMO_READY) == ["verified", "verified"]
    assert len(invoices_in(company)) == 2


def test_an_answer_lost_after_quickbooks_applied_the_invoices_is_verified_not_resent(shop):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    session(engine, reg, company, on_invoices(lambda request, answer: None))
    assert len(invoices_in(company)) == 2  # QuickBooks has them; the server never heard
    assert statuses(engine, reg, "INV-5001", "INV-5002") == ["sent", "sent"]
    caught_up(engine, settings)
    session(engine, reg, company)
    assert len(invoices_in(company)) == 2
    assert statuses(engine, reg, "INV-5001", "INV-5002") == ["verified", "verified"]
    assert engine.get_document("invoice", "INV-5002")["status"] == "transferred"


def test_an_hresult_on_the_invoices_is_verified_before_anything_is_resent(shop):
    engine, reg, company, settings = shop
    caught_up(engine, settings)

    def hresult(request, answer):
        return "", "0x80040402"

    session(engine, reg, company, on_invoices(hresult))
    # QuickBooks applied the message; the HRESULT hid it. The session looked before resending.
    assert len(invoices_in(company)) == 2
    assert statuses(engine, reg, "INV-5001", "INV-5002") == ["verified", "verified"]


def test_an_hresult_before_quickbooks_applied_anything_resends_once(shop):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    applied = {}

    def undone(request, answer):
        # QuickBooks refused the whole message set: undo what the simulator applied.
        for txn_id in list(company.txns["Invoice"]):
            applied[txn_id] = company.txns["Invoice"].pop(txn_id)
        return "", "0x80040400"

    session(engine, reg, company, on_invoices(undone))
    assert applied and len(invoices_in(company)) == 2
    assert not set(applied) & set(company.txns["Invoice"])
    assert statuses(engine, reg, "INV-5001", "INV-5002") == ["succeeded", "succeeded"]


def test_a_verification_that_cannot_see_everything_leaves_the_transfer_in_doubt(shop):
    # QuickBooks refused the message, and holds 100 other invoices of each customer on each
    # date: the query that looks for the key cannot prove it absent, so nothing is resent.
    engine, reg, company, settings = shop
    caught_up(engine, settings)

    def crowded(request, answer):
        for txn_id, record in list(company.txns["Invoice"].items()):
            del company.txns["Invoice"][txn_id]
            for _ in range(100):
                clone = {**record, "TxnID": company.new_txn_id()}
                clone.pop("ExternalGUID", None)
                company.txns["Invoice"][clone["TxnID"]] = clone
        return "", "0x80040400"

    session(engine, reg, company, on_invoices(crowded))
    assert len(invoices_in(company)) == 200
    assert not any("ExternalGUID" in i for i in invoices_in(company))
    for psa_id in DEMO_READY:
        transfer = engine.get_transfer("invoice", psa_id, reg.connector_id)
        assert transfer["status"] == "in_doubt"
        assert "too many to look through" in transfer["doubt"]
    ids = [UUID(engine.get_transfer("invoice", p, reg.connector_id)["id"]) for p in DEMO_READY]
    versions = [engine.repository.get(i).version for i in ids]
    caught_up(engine, settings)
    session(engine, reg, company)  # the next session looks again, and records nothing new
    assert len(invoices_in(company)) == 200
    assert [engine.repository.get(i).version for i in ids] == versions
    assert statuses(engine, reg, *DEMO_READY) == ["in_doubt", "in_doubt"]
    # The accountant looked in QuickBooks: not there. Sent once, under a new key.
    done = engine.mark_not_transferred(reg.connector_id, "invoice", "INV-5001", by="admin")
    assert "duplicate" in done["warning"]
    caught_up(engine, settings)
    session(engine, reg, company)
    assert sum("ExternalGUID" in i for i in invoices_in(company)) == 1
    assert statuses(engine, reg, *DEMO_READY) == ["succeeded", "in_doubt"]


def test_a_lock_is_retried_by_the_next_session_and_a_bad_name_waits_for_a_change(shop):
    engine, reg, company, settings = shop
    engine.mark_ready("invoice", ["INV-5003"], by="tests")  # its organization's name is 50 long

    def locked(request, answer):
        # The first invoice of the message hits a lock; the simulator applied it, so it is
        # taken out again, as QuickBooks would never have added it.
        root = answer.split("<InvoiceAddRs", 2)
        first_id = root[1].split('requestID="', 1)[1].split('"', 1)[0]
        body = root[1].split("</InvoiceAddRs>", 1)
        txn_id = body[0].split("<TxnID>", 1)[1].split("</TxnID>", 1)[0]
        del company.txns["Invoice"][txn_id]
        refused = (
            f' requestID="{first_id}" statusCode="3170" statusSeverity="Error" '
            'statusMessage="There was an error when saving a Invoice. The list has been '
            'modified by another user." />'
        )
        return root[0] + "<InvoiceAddRs" + refused + body[1] + (
            "<InvoiceAddRs" + root[2] if len(root) > 2 else ""
        ), ""

    caught_up(engine, settings)
    session(engine, reg, company, on_invoices(locked))
    both = [engine.get_transfer("invoice", p, reg.connector_id) for p in ("INV-5001", "INV-5002")]
    [failed] = [t for t in both if t["status"] == "failed"]
    assert failed["failure"]["code"] == 3170 and len(invoices_in(company)) == 1
    assert failed["failure"]["transient"] is True
    cascade = engine.get_transfer("invoice", "INV-5003", reg.connector_id)
    assert cascade["status"] == "failed" and "QuickBooks allows 41" in cascade["failure"]["message"]
    caught_up(engine, settings)
    session(engine, reg, company)
    assert statuses(engine, reg, "INV-5001", "INV-5002") == ["succeeded", "succeeded"]
    assert len(invoices_in(company)) == 2
    again = engine.get_transfer("invoice", "INV-5003", reg.connector_id)
    assert again["attempts"] == cascade["attempts"]  # nothing changed: not tried again


def test_an_emailed_invoice_without_an_address_fails_until_quickbooks_has_one(shop):
    engine, reg, company, settings = shop
    acme = next(c for c in company.lists["customer"].values() if c["Name"] == "Acme Dental Group")
    acme.pop("Email")
    company.stamp_modified(acme)
    caught_up(engine, settings)
    session(engine, reg, company)
    failed = engine.get_transfer("invoice", "INV-5001", reg.connector_id)
    assert failed["status"] == "failed"
    assert "has no e-mail address in QuickBooks" in failed["failure"]["message"]
    assert statuses(engine, reg, "INV-5002") == ["succeeded"]
    acme["Email"] = "billing@acmedental.example"
    company.stamp_modified(acme)
    company.clock.advance(days=1)
    caught_up(engine, settings)
    session(engine, reg, company)  # the lists changed: tried again
    assert statuses(engine, reg, "INV-5001") == ["succeeded"]
    assert len(invoices_in(company)) == 2


def test_the_web_connector_transfers_the_demo_invoices_through_the_endpoint(
    engine, settings, web_app
):
    """The simulated Web Connector posting SOAP to the server, as in production."""
    from tests.test_qbwc_sync import serving_app, update

    with serving_app(engine, settings, web_app) as live:
        company = demo_company()
        company.write_file_id(live.reg.owner_id, live.reg.file_id)
        assert update(live, company).outcome == "completed"
        engine.import_psa(DEMO, by="tests")
        engine.change_connector(live.reg.connector_id, transfers={"invoices": True})
        caught_up(engine, settings)
        result = update(live, company)
        assert result.outcome == "completed", result.message
        assert result.progress[-1] == 100
        assert len(invoices_in(company)) == 2
        assert "invoices" in live.engine.get_session(engine.get_session_id(result.ticket))["steps"]


def test_the_history_shows_every_attempt_and_the_queues_their_transfers(shop, cli):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    assert [
        t["psa_id"]
        for t in cli("transfers", "list", "--status", "pending", "--json").json()["transfers"]
    ] != []
    session(engine, reg, company, on_invoices(lambda request, answer: ("", "0x80040402")))
    shown = cli("history", "--document", "invoice:INV-5001", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    rows = json.loads(shown.stdout)["rows"]
    assert [r["result"] for r in rows] == ["verified", "in_doubt"]
    verified = rows[0]
    txn = company.txn(verified["txn_id"])
    assert txn is not None and verified["ref_number"] == txn["RefNumber"]
    assert verified["username"] == "qbwc-api" and verified["registration_id"] == reg.registration_id
    assert verified["attempt"] == 1 and verified["party"] == "Acme Dental Group"
    assert verified["amount"] == "1350.00"
    exchange = engine.get_session(verified["session_id"])
    assert "ExternalGUID" in next(
        x["response_xml"] for x in exchange["exchanges"] if x["id"] == verified["exchange_id"]
    )
    csv_out = cli("history", "--result", "ok", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("at,kind,psa_id") and len(csv_out) == 3
    assert cli("history", "--result", "nope").exit_code == 2
    assert cli("history", "--document", "INV-5001").exit_code == 2
    page = json.loads(cli("history", "--limit", "1", "--format", "json").stdout)
    assert page["more"] is True and len(page["rows"]) == 1


def test_the_api_gives_the_queues_the_history_as_csv_and_requeues(shop, settings):
    engine, reg, company, _ = shop
    from web import create_app

    client = create_app(settings, engine=engine).test_client()
    auth = {"Authorization": f"Bearer {engine.create_token('tests')['token']}"}
    caught_up(engine, settings)
    session(engine, reg, company)
    listed = client.get("/api/v1/transfers?type=invoices", headers=auth).get_json()["transfers"]
    assert {t["status"] for t in listed} == {"succeeded"}
    csv_text = client.get("/api/v1/history?format=csv&result=ok", headers=auth).get_data(True)
    assert csv_text.splitlines()[0].startswith("at,kind,psa_id") and "INV-5001" in csv_text
    path = f"/api/v1/connectors/{reg.connector_id}/transfers/invoice/INV-5001"
    assert client.get(path, headers=auth).get_json()["status"] == "succeeded"
    refused = client.post(path + "/requeue", headers=auth)
    assert refused.status_code == 409 and "already in QuickBooks" in refused.get_json()["detail"]
    marked = client.post(path + "/mark-not-transferred", headers=auth).get_json()
    assert marked["status"] == "marked_not_transferred" and "duplicate" in marked["warning"]
    assert engine.get_document("invoice", "INV-5001")["status"] == "ready"
    assert client.get("/api/v1/history?limit=x", headers=auth).status_code == 400


def test_paid_dates_come_back_when_fully_paid_never_over_a_hand_set_one(shop):

    from tests.qbsim.transactions import receive_payment

    engine, reg, company, settings = shop
    engine.mark_ready("invoice", ["INV-5003"], by="tests")
    caught_up(engine, settings)
    session(engine, reg, company)
    txn = {
        p: engine.get_transfer("invoice", p, reg.connector_id)["quickbooks"]["txn_id"]
        for p in ("INV-5001", "INV-5002")
    }
    receive_payment(company, txn["INV-5001"], "1000.00", "2026-11-20")
    receive_payment(company, txn["INV-5001"], "350.00", "2026-11-25")  # paid in full
    receive_payment(company, txn["INV-5002"], "100.00", "2026-11-21")  # partly
    caught_up(engine, settings)
    session(engine, reg, company)
    assert engine.get_document("invoice", "INV-5001")["paid_date"] == "2026-11-25"
    assert engine.get_document("invoice", "INV-5002")["paid_date"] is None
    engine.set_paid_date("invoice", "INV-5002", "2026-11-30", by="tests")
    balance = company.txn(txn["INV-5002"])["BalanceRemaining"]
    receive_payment(company, txn["INV-5002"], balance, "2026-12-01")
    caught_up(engine, settings)
    session(engine, reg, company)
    assert engine.get_document("invoice", "INV-5002")["paid_date"] == "2026-11-30"


def test_the_psa_polls_outcomes_since_a_time(shop, cli):
    from datetime import timedelta

    from tests.qbsim.transactions import receive_payment

    engine, reg, company, settings = shop
    before = engine.clock().isoformat()
    caught_up(engine, settings)
    session(engine, reg, company)
    polled = cli("documents", "list", "--status", "transferred", "--since", before, "--json")
    documents = {d["id"]: d for d in polled.json()["documents"]}
    assert set(documents) == {"INV-5001", "INV-5002"}
    outcome = documents["INV-5001"]["quickbooks"]
    txn = company.txn(outcome["txn_id"])
    assert outcome["ref_number"] == txn["RefNumber"] and outcome["paid_date"] is None
    after_transfer = engine.clock().isoformat()
    receive_payment(company, outcome["txn_id"], "1350.00", "2026-11-26")
    # With nothing queued, the Web Connector's runs find work once the lists are an hour old.
    now = engine.clock()
    engine.clock = lambda: now + timedelta(minutes=61)
    caught_up(engine, settings)
    session(engine, reg, company)
    polled = cli("documents", "list", "--since", after_transfer, "--json").json()["documents"]
    assert [(d["id"], d["quickbooks"]["paid_date"]) for d in polled] == [("INV-5001", "2026-11-26")]
    assert cli("documents", "set-paid-date", "invoice", "INV-5002").exit_code == 2
    manual = cli(
        "documents", "set-paid-date", "invoice", "INV-5002", "--date", "2026-11-29", "--json"
    )
    assert manual.json()["paid_date"] == "2026-11-29"


def test_paid_dates_older_than_six_months_are_not_asked_for(shop):
    from datetime import timedelta

    from tests.qbsim.transactions import receive_payment

    engine, reg, company, settings = shop
    caught_up(engine, settings)
    session(engine, reg, company)
    txn = engine.get_transfer("invoice", "INV-5001", reg.connector_id)["quickbooks"]["txn_id"]
    receive_payment(company, txn, "1350.00", "2026-11-20")
    now = engine.clock()
    engine.clock = lambda: now + timedelta(days=200)
    caught_up(engine, settings)
    ticket = session(engine, reg, company)
    assert engine.get_document("invoice", "INV-5001")["paid_date"] is None
    asked = engine.get_session(engine.get_session_id(ticket))
    assert not any("InvoiceQueryRq" in x["request_xml"] for x in asked["exchanges"])


def test_a_3140_fails_the_invoice_until_the_lists_change_then_it_goes_once(shop):
    from tests.qbsim.writes import add_list_record

    engine, reg, company, settings = shop
    caught_up(engine, settings)
    engine.set_mapping(
        reg.connector_id, "lines-of-business", "LOB-1", "Managed Services",
        directory=engine.directory, by="tests",
    )  # fmt: skip
    company.delete_list_record("class", "Managed Services")  # the lists read model still has it
    caught_up(engine, settings)
    session(engine, reg, company)
    failed = engine.get_transfer("invoice", "INV-5001", reg.connector_id)
    assert failed["status"] == "failed" and failed["failure"]["code"] == 3140
    assert failed["failure"]["transient"] is False
    assert statuses(engine, reg, "INV-5002") == ["succeeded"]
    # The next pass records the customers and items the transfer created (the lists changed,
    # so it is tried once more); after that, nothing changes and it waits.
    for _ in range(2):
        caught_up(engine, settings)
        session(engine, reg, company)
    waiting = engine.get_transfer("invoice", "INV-5001", reg.connector_id)["attempts"]
    caught_up(engine, settings)
    session(engine, reg, company)
    assert engine.get_transfer("invoice", "INV-5001", reg.connector_id)["attempts"] == waiting
    add_list_record(company, "class", {"Name": "Managed Services"})
    company.clock.advance(days=1)
    caught_up(engine, settings)
    session(engine, reg, company)  # the lists changed: tried again
    assert statuses(engine, reg, "INV-5001") == ["succeeded"]
    assert len(invoices_in(company)) == 2


def test_taxes_transferred_directly_go_as_one_line_and_every_line_non_taxable(shop):
    engine, reg, company, settings = shop
    engine.change_connector(reg.connector_id, transfer_taxes_directly=True)
    caught_up(engine, settings)
    session(engine, reg, company)
    bright = next(
        i for i in invoices_in(company) if i["CustomerRef"]["FullName"] == "Bright:Downtown Clinic"
    )
    lines = bright["InvoiceLineRet"]
    assert {line["SalesTaxCodeRef"]["FullName"] for line in lines} == {"Non"}
    tax = [line for line in lines if line["ItemRef"]["FullName"] == "Autotask Sales Tax"]
    assert [line["Amount"] for line in tax] == ["17.48"]
    assert any(
        i["Name"] == "Autotask Sales Tax" for i in company.lists["item_other_charge"].values()
    )


def test_a_server_killed_before_it_stored_the_answer_verifies_instead_of_resending(
    shop, monkeypatch
):
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    real_save = type(engine).save

    def killed(self, *objs, **kwargs):
        # The answer's save (transfers succeeding) never happens: the process dies first.
        if any(
            isinstance(o, Transfer) and isinstance(o.pending_events[-1], Transfer.Succeeded)
            for o in objs
            if getattr(o, "pending_events", None)
        ):
            raise SystemExit("the server was killed")
        return real_save(self, *objs, **kwargs)

    monkeypatch.setattr(type(engine), "save", killed)
    with pytest.raises(SystemExit):
        session(engine, reg, company)
    monkeypatch.setattr(type(engine), "save", real_save)
    assert len(invoices_in(company)) == 2  # QuickBooks applied the message
    assert statuses(engine, reg, "INV-5001", "INV-5002") == ["sent", "sent"]
    company.end_session()
    caught_up(engine, settings)
    session(engine, reg, company)  # QBWC's next run: the dead session is abandoned
    assert statuses(engine, reg, "INV-5001", "INV-5002") == ["verified", "verified"]
    assert len(invoices_in(company)) == 2

"""End to end: the simulated Web Connector runs updates against a live server, with a simulated
QuickBooks company behind it, and the QuickBooks lists land in the read model."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from types import SimpleNamespace
from uuid import UUID

from werkzeug.serving import make_server

from engine.commanding import utcnow
from engine.steps import pipeline
from projections.runtime import catch_up, fresh_view, open_view, rebuild
from tests.helpers import API_PASSWORD, register_connector
from tests.qbsim import Company
from tests.qbsim.webconnector import Faults, WebConnectorSim
from web.views import sessions_list


@contextlib.contextmanager
def serving_app(engine, settings, web_app):
    """The web app on a real port, and a connector registered to reach it."""
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    public = f"http://localhost:{server.server_port}"
    reg = register_connector(engine, public_url=public)
    url = f"http://127.0.0.1:{server.server_port}{reg.path}"
    try:
        yield SimpleNamespace(engine=engine, settings=settings, reg=reg, url=url)
    finally:
        server.shutdown()
        server.server_close()


def connector_of(live) -> UUID:
    return UUID(live.reg.connector_id)


def update(live, company: Company, password: str = API_PASSWORD, **kw):
    sim = WebConnectorSim(
        live.url,
        "qbwc-api",
        password,
        company,
        owner_id=live.reg.owner_id,
        file_id=live.reg.file_id,
        sleep=lambda s: None,
        **kw,
    )
    return sim.run()


def counts(live) -> dict[str, int]:
    view = fresh_view(live.settings, live.engine, "quickbookslists")
    try:
        return view.counts(connector_of(live))
    finally:
        view.close()


def later(minutes: int):
    return lambda: utcnow() + timedelta(minutes=minutes)


def small_company() -> Company:
    company = Company.from_json(
        {
            "company": {"name": "Acme Books"},
            "lists": {
                "account": [
                    {"Name": "Autotask Other", "AccountType": "Income"},
                    {"Name": "Travel", "AccountType": "Expense"},
                ],
                "class": [
                    {"Name": "Helpdesk"},
                    {"Name": "Projects"},
                    {"Name": "Infra", "ParentRef": {"FullName": "Projects"}},
                ],
                "employee": [{"Name": "Dana Whitfield"}],
                "vendor": [{"Name": "Ingram Micro"}],
                "payroll_item_wage": [{"Name": "Regular Pay"}],
                "item_service": [{"Name": "Remote Support"}],
                "customer": [
                    {"Name": "Bright"},
                    {"Name": "Downtown", "ParentRef": {"FullName": "Bright"}},
                ],
                "standard_terms": [{"Name": "Net 30"}],
                "sales_tax_code": [{"Name": "Tax"}, {"Name": "Non"}],
                "ship_method": [{"Name": "UPS Ground"}],
            },
        }
    )
    company.clock.advance(days=1)
    return company


def test_the_first_handshake_links_the_file_and_fills_the_read_model(live):
    company = small_company()
    result = update(live, company)
    assert result.outcome == "completed", result.message
    assert result.progress[-1] == 100
    connector = live.engine.get_connector(live.reg.connector_id)
    assert connector["company_file_location"] == company.path
    assert connector["company_file_id"] == live.reg.file_id
    assert connector["qbxml_version"] == "13.0"
    assert connector["last_session"]["result"] == "completed"
    assert counts(live) == {
        "accounts": 2,
        "classes": 3,
        "employees": 1,
        "vendors": 1,
        "payroll_items": 1,
        "items": 1,
        "customers": 2,
        "terms": 1,
        "sales_tax_codes": 2,
        "ship_methods": 1,
    }
    view = open_view(live.settings, "quickbookslists")
    names = [r["full_name"] for r in view.records(connector_of(live), "customers")]
    assert names == ["Bright", "Bright:Downtown"]
    view.close()
    [session] = sessions_list(live.settings, live.engine)
    assert session["status"] == "closed" and session["result"] == "completed"
    detail = live.engine.get_session(session["id"])
    assert detail["exchanges"][0]["request_xml"].count("<AccountQueryRq") == 1
    assert "AccountRet" in detail["exchanges"][0]["response_xml"]


def update_within_budget(live, company: Company) -> dict[str, int]:
    """One update that completes with every message and answer inside the documented budget;
    returns what it recorded per list."""
    result = update(live, company)
    assert result.outcome == "completed", result.message
    assert result.sizes, "no message was exchanged"
    biggest_request = max(request for request, _ in result.sizes)
    biggest_answer = max(answer for _, answer in result.sizes)
    assert biggest_request < 10_000, biggest_request  # requests are small queries
    assert biggest_answer <= pipeline.ANSWER_BUDGET_BYTES, biggest_answer
    session_id = sessions_list(live.settings, live.engine)[0]["id"]
    return live.engine.get_session(session_id)["recorded"]


def test_quickbooks_pro_limits_first_handshake_incremental_and_deletion_syncs(live):
    """QuickBooks Pro's limits (14,500 names, 10,000 accounts) through a strict QuickBooks:
    accounts in name windows (AccountQuery takes no iterator), customers through an iterator,
    every answer inside the budget."""
    company = Company("Big Books")
    company.seed_bulk(customers=14_500, accounts=10_000)
    recorded = update_within_budget(live, company)
    assert recorded["accounts"] == 10_000 and recorded["customers"] == 14_500
    found = counts(live)
    assert found["customers"] == 14_500 and found["accounts"] == 10_000
    view = open_view(live.settings, "quickbookslists")
    ids = {r["list_id"] for r in view.records(connector_of(live), "accounts")}
    view.close()
    assert ids == set(company.lists["account"])

    # A bulk edit in QuickBooks: the incremental pass windows it too.
    company.clock.advance(days=2)
    for kind, step in (("account", 3), ("customer", 4)):
        for record in list(company.lists[kind].values())[::step]:
            record["Name"] = record["FullName"] = record["FullName"] + " (new)"
            company.index_name(kind, record)
            company.stamp_modified(record)
    live.engine.clock = later(61)
    recorded = update_within_budget(live, company)
    assert recorded["accounts"] == 3_334 and recorded["customers"] == 3_625

    for list_id in list(company.lists["account"])[:700]:
        company.delete_list_record("account", list_id)
    live.engine.clock = later(62)
    live.engine.request_deletion_sync(live.reg.connector_id)
    recorded = update_within_budget(live, company)
    assert recorded["deletions"] == 700 and counts(live)["accounts"] == 9_300


def test_a_second_session_syncs_only_what_changed_and_deletions_come_later(live):
    company = small_company()
    company.seed_bulk(customers=300)
    assert update(live, company).outcome == "completed"
    assert update(live, company).outcome == "none"  # lists are fresh: nothing to do
    company.clock.advance(days=2)
    for name in ("Customer 00001", "Customer 00002"):
        record = company.find(["customer"], name)
        record["CompanyName"] = "Renamed Inc"
        company.stamp_modified(record)
    company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        "<AccountAddRq><AccountAdd><Name>Autotask Income from PO</Name><AccountType>Income"
        "</AccountType></AccountAdd></AccountAddRq></QBXMLMsgsRq></QBXML>"
    )
    live.engine.clock = later(61)
    second = update(live, company)
    assert second.outcome == "completed", second.message
    session_id = sessions_list(live.settings, live.engine)[0]["id"]
    recorded = live.engine.get_session(session_id)["recorded"]
    assert recorded["customers"] == 2 and recorded["accounts"] == 1
    assert sum(recorded.values()) == 3
    requests = [x["request_xml"] for x in live.engine.get_session(session_id)["exchanges"]]
    assert all("<FromModifiedDate>" in r for r in requests)
    assert counts(live)["accounts"] == 3

    company.delete_list_record("customer", "Customer 00003")
    company.delete_list_record("class", "Projects:Infra")
    live.engine.request_deletion_sync(live.reg.connector_id)
    third = update(live, company)
    assert third.outcome == "completed", third.message
    after = counts(live)
    assert after["customers"] == 301 and after["classes"] == 2


def test_the_read_model_rebuilds_from_zero(live):
    company = small_company()
    assert update(live, company).outcome == "completed"
    before = counts(live)
    assert rebuild(live.settings, live.engine, "quickbookslists") > 0
    assert counts(live) == before
    view = open_view(live.settings, "quickbookslists")
    assert catch_up(live.engine, view, "quickbookslists") == 0  # nothing new, nothing twice
    view.close()


def test_clearing_the_company_file_empties_the_lists(live):
    company = small_company()
    assert update(live, company).outcome == "completed"
    live.engine.clear_company_file(live.reg.connector_id, cleared_by="test")
    assert set(counts(live).values()) == {0}
    again = update(live, company)
    assert again.outcome == "nvu" and again.every_min == 90101


def test_a_response_lost_in_the_dangerous_window_then_a_fresh_run(live):
    company = small_company()
    crashed = update(live, company, faults=Faults(lose_response_after=2))
    assert crashed.outcome == "crashed"
    result = update(live, company)  # same registration: the dead session is abandoned
    assert result.outcome == "completed", result.message
    statuses = [s["status"] for s in sessions_list(live.settings, live.engine)]
    assert statuses == ["closed", "abandoned"]
    assert counts(live)["accounts"] == 2


def test_a_wrong_company_file_is_refused_through_the_web_connector(live):
    company = small_company()
    assert update(live, company).outcome == "completed"
    other = small_company()
    other.path = "D:\\Elsewhere\\Other.QBW"
    live.engine.request_deletion_sync(live.reg.connector_id)
    result = update(live, other)
    # QBWC is told to open the linked file; the other machine cannot, so it gives up.
    assert result.outcome == "connection-error"
    assert result.calls.count("connectionError") == 2


def test_a_bulk_edit_bigger_than_the_overlap_memory_is_not_fetched_again_and_again(live):
    company = Company("Bulk Books")
    company.seed_bulk(customers=2_500)  # one second apart: all inside the one-hour overlap
    assert update(live, company).outcome == "completed"
    for hours in (2, 4):
        live.engine.clock = later(60 * hours)
        assert update(live, company).outcome == "completed"
        session_id = sessions_list(live.settings, live.engine)[0]["id"]
        session = live.engine.get_session(session_id)
        assert sum(session["recorded"].values()) == 0, session["recorded"]
        customers = next(x for x in session["exchanges"] if x["purpose"] == "customers")
        # The pass starts at the oldest remembered record, not an hour before the newest.
        assert customers["response_xml"].count("<CustomerRet>") == 1_000
    assert counts(live)["customers"] == 2_500


def test_file_id_and_owner_id_match_whatever_their_letter_case(live):
    """QBWC keeps the FileID data extension in the letter case it was written with."""
    company = small_company()
    company.write_file_id(live.reg.owner_id.lower(), live.reg.file_id.lower())
    first = update(live, company)
    assert first.outcome == "completed", first.message
    connector = live.engine.get_connector(live.reg.connector_id)
    assert connector["company_file_id"].upper() == live.reg.file_id.upper()
    live.engine.clock = later(61)
    second = update(live, company)  # the same file: not refused as a different one
    assert second.outcome == "completed", second.message
    assert company.data_ext[(live.reg.owner_id.lower(), "FileID")] == live.reg.file_id.lower()

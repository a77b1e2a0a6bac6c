"""The qbXML builder, the response parser, the status policy and the steps' decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from lxml import etree

from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.qbxml import status
from engine.qbxml.builder import QbxmlBuildError, ValueTooLong, build_message, build_request
from engine.qbxml.parser import QbxmlParseError, list_record, parse_hcp, parse_response
from engine.qbxml.schema import max_length
from tests.helpers import StepDriver
from tests.qbsim import Company


def test_elements_come_out_in_schema_order_whatever_the_dict_order():
    rq = build_request(
        "InvoiceAddRq",
        {
            "InvoiceLineAdd": [{"Amount": Decimal("10.00"), "ItemRef": {"FullName": "Labor"}}],
            "TxnDate": "2026-11-02",
            "CustomerRef": {"FullName": "Bright"},
        },
        request_id="inv-1",
        version="13.0",
        include=["TxnID"],
    )
    body = rq.find("InvoiceAdd")
    assert [c.tag for c in body] == ["CustomerRef", "TxnDate", "InvoiceLineAdd"]
    assert [c.tag for c in body.find("InvoiceLineAdd")] == ["ItemRef", "Amount"]
    assert [c.tag for c in rq] == ["InvoiceAdd", "IncludeRetElement"]
    assert rq.get("requestID") == "inv-1"


def test_the_simulated_request_processor_accepts_what_the_builder_writes():
    company = Company()
    company.begin_session()
    rq = build_request(
        "CustomerAddRq",
        {"Email": "a@b.example", "Name": "A & B <Co>", "IsActive": True},
        request_id="c1",
        version="13.0",
    )
    text = build_message([rq], version="13.0")
    [rs] = parse_response(company.process(text)).responses
    assert rs.status.code == 0 and rs.rets[0].findtext("Name") == "A & B <Co>"


def test_values_over_their_limit_are_refused_naming_the_limit():
    assert max_length("CustomerAddRq", "Name") == 41
    with pytest.raises(ValueTooLong) as info:
        build_request("CustomerAddRq", {"Name": "x" * 42}, request_id="c", version="13.0")
    assert info.value.limit == 41 and "CustomerAddRq/CustomerAdd/Name" in info.value.path


@pytest.mark.parametrize(
    "name, data, version, problem",
    [
        ("CustomerAddRq", {"Nickname": "x"}, "13.0", "no element 'Nickname'"),
        ("NoSuchRq", {}, "13.0", "no request NoSuchRq"),
        ("InvoiceAddRq", {"IsToBeEmailed": True}, "5.0", "needs qbXML 6"),
        ("CustomerAddRq", {"Name": ["a", "b"]}, "13.0", "cannot repeat"),
        ("CustomerAddRq", {"Name": 1.5}, "13.0", "cannot write a float"),
    ],
)
def test_build_errors(name, data, version, problem):
    with pytest.raises(QbxmlBuildError, match=problem):
        build_request(name, data, request_id="r", version=version)


def test_request_ids_are_at_most_50_characters():
    with pytest.raises(QbxmlBuildError, match="requestID"):
        build_request("CustomerQueryRq", {}, request_id="r" * 51, version="13.0")


def test_the_parser_reads_statuses_iterators_and_records():
    parsed = parse_response(
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs messageSetStatusCode="0">'
        '<CustomerQueryRs requestID="7" statusCode="500" statusSeverity="Warn" '
        'statusMessage="partial" iteratorRemainingCount="3" iteratorID="{abc}">'
        "<CustomerRet><ListID>8000-1</ListID><EditSequence>17</EditSequence><Name>Child</Name>"
        "<FullName>Parent:Child</FullName><IsActive>false</IsActive><ParentRef><ListID>8000-0"
        "</ListID></ParentRef><CompanyName>Child Co</CompanyName></CustomerRet>"
        "</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )
    [rs] = parsed.responses
    assert parsed.message_set_status == "0"
    assert (rs.request_id, rs.status.code, rs.status.decision) == ("7", 500, status.WARNING)
    assert (rs.iterator_id, rs.iterator_remaining) == ("{abc}", 3)
    record = list_record(rs.rets[0])
    assert record["full_name"] == "Parent:Child" and record["is_active"] is False
    assert record["parent_list_id"] == "8000-0" and record["details"] == {"CompanyName": "Child Co"}
    with pytest.raises(QbxmlParseError):
        parse_response("<NotQBXML/>")
    with pytest.raises(QbxmlParseError):
        parse_response('<!DOCTYPE x [<!ENTITY e "x">]><QBXML>&e;</QBXML>')


def test_the_host_company_and_preferences_answer():
    company = Company("Acme", file_mode="MultiUser", country="CA")
    company.write_file_id(
        "{0B1E6F0C-1F7A-4B8E-9D2C-6A51C2C0A001}", "{11111111-2222-3333-4444-555555555555}"
    )
    host = parse_hcp(company.hcp_response())
    assert (host.country, host.file_mode, host.company_name) == ("CA", "MultiUser", "Acme")
    assert "13.0" in host.qbxml_versions
    assert (
        host.data_ext_value("{0b1e6f0c-1f7a-4b8e-9d2c-6a51c2c0a001}", "FileID")
        == "{11111111-2222-3333-4444-555555555555}"
    )


@pytest.mark.parametrize(
    "code, decision",
    [
        (0, status.OK),
        (1, status.NO_MATCH),
        (530, status.WARNING),
        (500, status.WARNING),
        (3100, status.FAILED),
        (3140, status.FAILED),
        (3170, status.RETRY_LATER),
        (3180, status.RETRY_LATER),
        (3200, status.REQUERY),
        (3391, status.RESTART_ITERATOR),
        (1030, status.UNSUPPORTED),
        (3250, status.UNSUPPORTED),
        (1000, status.RETRY_LATER),
    ],
)
def test_one_policy_decides_what_a_status_code_means(code, decision):
    assert status.decide(code) == decision


def response(code: int, rets: str = "", remaining: int | None = None) -> str:
    extra = f' iteratorRemainingCount="{remaining}" iteratorID="{{it}}"' if remaining else ""
    return (
        f'<QBXML><QBXMLMsgsRs><AccountQueryRs requestID="1" statusCode="{code}" '
        f'statusSeverity="Info" statusMessage="m"{extra}>{rets}</AccountQueryRs>'
        "</QBXMLMsgsRs></QBXML>"
    )


def test_the_pipeline_pages_restarts_and_moves_past_failures():
    lists = QuickBooksLists(uuid4())
    driver = StepDriver(["customers", "vendors"], lists)
    message = driver.send()
    assert message.purpose == "customers"  # a page of customers leaves no room for vendors
    rq = etree.fromstring(message.qbxml.split("?>", 2)[2].encode()).find(".//CustomerQueryRq")
    assert rq.get("iterator") == "Start" and rq.findtext("MaxReturned") == "1000"
    assert "ListID" in [e.text for e in rq.findall("IncludeRetElement")]
    page = (
        "<CustomerRet><ListID>1</ListID><EditSequence>1</EditSequence><Name>A</Name>"
        "<TimeModified>2026-01-01T10:00:00-08:00</TimeModified></CustomerRet>"
    )
    driver.answer(response(0, page, 5))
    assert driver.state("customers").iterator_id == "{it}" and driver.progress < 50
    driver.send()
    driver.answer(response(3391))
    state = driver.state("customers")
    assert state.iterator_id is None and state.restarts == 1
    driver.send()
    work = driver.answer(response(1))
    assert work.finished == {0} and lists.synced_at.get("customers")
    driver.send()
    work = driver.answer(response(3250))
    assert work.finished == {0, 1} and "not available" in work.problems[0]
    assert driver.progress == 100
    assert driver.send() is None


def test_incremental_syncs_start_a_margin_before_the_watermark_and_skip_what_was_seen():
    lists = QuickBooksLists(uuid4())
    now = datetime.now(UTC)
    seen = {
        "list_id": "1",
        "edit_sequence": "5",
        "time_modified": "2026-03-01T12:00:00-08:00",
        "name": "A",
        "full_name": "A",
        "type": "Account",
        "is_active": True,
    }
    assert lists.record_page("accounts", [seen], now) == 1
    assert lists.from_modified("accounts") == "2026-03-01T11:00:00-08:00"
    assert lists.record_page("accounts", [seen], now) == 0
    assert lists.record_page("accounts", [{**seen, "edit_sequence": "6"}], now) == 1

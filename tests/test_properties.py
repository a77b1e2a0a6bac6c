"""Property-based tests (hypothesis) for what reads input from outside: the SOAP call parser,
the qbXML response parser and the import validator. Arbitrary text, control characters,
surrogates, deep nesting and huge values: nothing raises past the edge but the edge's own
refusal, and a refused import changes nothing in the store."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.errors import InvalidValue
from engine.psa.importing import ImportRefused
from engine.qbxml.parser import QbxmlParseError, list_record, parse_hcp, parse_response
from engine.steps import pipeline
from engine.steps.lists import ListPass
from engine.steps.pipeline import SessionWork
from engine.text import check_document, parse_json
from tests.helpers import StepDriver
from tests.qbsim.soap import envelope
from web.qbwc.soap import SoapError, parse_call

HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
# Every code point, surrogates and controls included.
ANY_TEXT = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF))
NASTY = st.sampled_from(["\x00", "\x1b", "\ud800", "\udfff", "\ufffe", "\uffff", "]]>", "&", "<"])
TEXT = st.one_of(ANY_TEXT, st.lists(st.one_of(NASTY, ANY_TEXT), max_size=8).map("".join))


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# -- the SOAP call parser --------------------------------------------------------------------


@settings(max_examples=200, suppress_health_check=HEALTH, deadline=None)
@given(body=st.one_of(st.binary(max_size=2000), TEXT.map(lambda t: t.encode("utf-8", "replace"))))
def test_soap_parser_reads_or_refuses_any_bytes(body):
    try:
        call = parse_call(body, '"http://developer.intuit.com/authenticate"')
    except SoapError:
        return
    assert all(isinstance(v, str) for v in call.params.values())


@settings(max_examples=200, suppress_health_check=HEALTH, deadline=None)
@given(username=TEXT, password=TEXT)
def test_soap_parameters_never_carry_what_xml_cannot(username, password):
    try:
        body = envelope("authenticate", {"strUserName": username, "strPassword": password})
    except ValueError:  # our test client cannot even write some of them
        return
    try:
        call = parse_call(body, None)
    except SoapError:
        return
    for value in call.params.values():
        assert "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def test_soap_parser_refuses_deep_nesting():
    deep = (
        '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/'
        'envelope/"><soap:Body>' + "<a>" * 100_000 + "</a>" * 100_000 + "</soap:Body>"
        "</soap:Envelope>"
    ).encode()
    with pytest.raises(SoapError):
        parse_call(deep, None)


# -- the qbXML response parser ---------------------------------------------------------------

ATTRIBUTE = st.one_of(TEXT, st.integers().map(str), st.sampled_from(["\u00b2", "\u0663", "-1", ""]))


def _xml_safe(text: str) -> str:
    return (
        "".join(
            c
            for c in text
            if c in "\t\n\r" or (0x20 <= ord(c) <= 0xD7FF) or (0xE000 <= ord(c) <= 0xFFFD)
        )
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
    )


@settings(max_examples=300, suppress_health_check=HEALTH, deadline=None)
@given(
    code=ATTRIBUTE,
    remaining=ATTRIBUTE,
    modified=st.one_of(
        TEXT,
        st.datetimes().map(lambda d: d.isoformat()),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"]),
    ),
    name=TEXT,
)
def test_qbxml_answers_are_parsed_or_refused_and_fold_into_a_step(code, remaining, modified, name):
    text = (
        '<?xml version="1.0" ?>\n<QBXML><QBXMLMsgsRs>'
        f'<AccountQueryRs statusCode="{_xml_safe(code)}" statusSeverity="Info" '
        f'iteratorRemainingCount="{_xml_safe(remaining)}" iteratorID="x">'
        f"<AccountRet><ListID>1</ListID><EditSequence>1</EditSequence>"
        f"<Name>{_xml_safe(name)}</Name><TimeModified>{_xml_safe(modified)}</TimeModified>"
        "</AccountRet></AccountQueryRs></QBXMLMsgsRs></QBXML>"
    )
    try:
        parsed = parse_response(text)
    except QbxmlParseError:
        return
    for response in parsed.responses:
        for ret in response.rets:
            list_record(ret)
    lists = QuickBooksLists(uuid4())
    for step in ("accounts", "customers"):
        work = SessionWork(active={0: ListPass(from_modified=None)})
        driver = StepDriver([step], lists, now=_NOW, work=work)
        after = pipeline.absorb([step], work, [f"1.{step}"], parsed, driver.context)
        assert after.finished == {0} or 0 in after.active
        lists.from_modified(step)  # the watermark survives its margin's arithmetic


_NOW = datetime(2026, 12, 1, tzinfo=UTC)


@settings(max_examples=200, suppress_health_check=HEALTH, deadline=None)
@given(text=TEXT)
def test_anything_as_a_response_or_hcp_is_parsed_or_refused(text):
    for parse in (parse_response, parse_hcp):
        with contextlib.suppress(QbxmlParseError):
            parse(text)


# -- the import validator ------------------------------------------------------------------------

JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, suppress_health_check=HEALTH, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(["id", "name", "email", "x", "lines"]), JSONISH, max_size=4
        ),
        max_size=3,
    ),
    kind=st.sampled_from(["organizations", "resources", "invoices", "products"]),
)
def test_the_import_validator_reports_or_imports_anything(popo_engine, records, kind):
    data = {"format": "qbtransfer-psa/1", kind: records}
    before = popo_engine.recorder.max_notification_id() or 0
    try:
        popo_engine.import_psa(data, by="property", dry_run=True)
    except ImportRefused as refused:
        for error in refused.report["errors"]:
            assert len(error["message"]) < 1_000 and "\x00" not in error["message"]
    assert (popo_engine.recorder.max_notification_id() or 0) == before


@settings(max_examples=100, suppress_health_check=HEALTH, deadline=None)
@given(depth=st.integers(min_value=33, max_value=200_000))
def test_documents_nested_too_deep_are_refused_not_crashed(depth):
    with pytest.raises(InvalidValue):
        check_document(parse_json(nested(depth), "the document"))
    assert check_document(parse_json(nested(32), "the document")) is not None  # the limit


@settings(max_examples=100, suppress_health_check=HEALTH, deadline=None)
@given(data=JSONISH)
def test_parse_json_reads_back_what_json_writes_or_refuses_bad_utf8(data):
    text = json.dumps(data, ensure_ascii=False)
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not UTF-8 once written out
        with pytest.raises(InvalidValue, match="not UTF-8"):
            parse_json(text.encode("utf-8", "surrogatepass"), "x")
        return
    assert parse_json(raw, "x") == data

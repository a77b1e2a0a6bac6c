"""Every request the builder can make passes the schema as the simulated QuickBooks reads it,
and what the schema refuses the builder refuses before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from lxml import etree

from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.list_windows import Window
from engine.qbxml.builder import QbxmlBuildError, build_message, build_request
from engine.qbxml.schema import (
    ElementSpec,
    attributes_of,
    request_names,
    request_spec,
    takes_iterator,
    wrapper_of,
)
from engine.steps import registry
from engine.steps.deletions import DELETIONS
from engine.steps.lists import LIST_QUERIES, ListPass
from engine.steps.pipeline import SessionWork
from tests.helpers import StepDriver
from tests.qbsim.schema import SchemaViolation, check_request

SAMPLES = {
    "IDTYPE": "80000001-1767632400",
    "AMTTYPE": "1.00",
    "PRICETYPE": "1.00",
    "QUANTYPE": "1",
    "PERCENTTYPE": "1.5",
    "FLOATTYPE": "1.0",
    "INTTYPE": "1",
    "DATETYPE": "2026-01-05",
    "DATETIMETYPE": "2026-01-05T09:00:00-08:00",
    "BOOLTYPE": "true",
    "GUIDTYPE": "{6B29FC40-CA47-1067-B31D-00DD010662DA}",
    "TIMEINTERVALTYPE": "PT1H30M",
}


def sample(spec: ElementSpec) -> Any:
    """Every element of `spec` once, with a value its type and length allow."""
    if spec.is_leaf:
        rules = spec.rules or {}
        if rules.get("values"):
            return rules["values"][0]
        text = SAMPLES.get(rules.get("type") or "", "Sample")
        return text[: spec.max_length] if spec.max_length else text
    return {
        name: sample(child)
        for name, child in spec.children.items()
        if child.since is None or child.since <= 13
    }


REQUESTS = [name for name in request_names() if attributes_of(name)]


def test_requests_the_official_schema_lacks_are_refused():
    missing = sorted(set(request_names()) - set(REQUESTS))
    assert missing == ["DepartmentAddRq", "DepartmentQueryRq"]
    for name in missing:
        with pytest.raises(QbxmlBuildError, match="schema has no request"):
            build_request(name, {}, request_id="1", version="13.0")
        rq = etree.Element(name, requestID="1")
        with pytest.raises(SchemaViolation, match="unknown request"):
            check_request(rq, 13.0)


@pytest.mark.parametrize("name", REQUESTS)
def test_every_request_type_built_in_full_passes_the_simulated_schema(name):
    wrapper = wrapper_of(name)
    tree = request_spec(name)
    full = sample(tree)
    data = full.pop(wrapper) if wrapper else full
    include = (
        full.pop("IncludeRetElement", None) if wrapper else data.pop("IncludeRetElement", None)
    )
    rq = build_request(
        name,
        data,
        request_id="1",
        version="13.0",
        iterator="Start" if takes_iterator(name) else None,
        include=[include] if include else None,
    )
    check_request(rq, 13.0)


@pytest.mark.parametrize("name", [n for n in REQUESTS if not takes_iterator(n)])
def test_the_builder_refuses_an_iterator_where_the_schema_has_none(name):
    with pytest.raises(QbxmlBuildError, match="has no attribute 'iterator'"):
        build_request(name, {}, request_id="1", version="13.0", iterator="Start")


def test_the_builder_refuses_unknown_elements_long_values_and_repeats():
    with pytest.raises(QbxmlBuildError, match="no element 'IsBillable'"):
        build_request("TimeTrackingAddRq", {"IsBillable": True}, request_id="1", version="13.0")
    with pytest.raises(QbxmlBuildError, match="QuickBooks allows 3"):
        build_request(
            "InvoiceAddRq",
            {"CustomerSalesTaxCodeRef": {"FullName": "TAXX"}},
            request_id="1",
            version="13.0",
        )
    with pytest.raises(QbxmlBuildError, match="cannot repeat"):
        build_request(
            "InvoiceQueryRq",
            {"RefNumberFilter": {"MatchCriterion": "StartsWith", "RefNumber": ["1", "2"]}},
            request_id="1",
            version="13.0",
        )
    with pytest.raises(QbxmlBuildError, match="needs qbXML 13"):
        build_request(
            "InvoiceAddRq",
            {"ExternalGUID": SAMPLES["GUIDTYPE"]},
            request_id="1",
            version="12.0",
        )


def _requests_of(qbxml: str) -> list[etree._Element]:
    root = etree.fromstring(qbxml.split("?>", 2)[2].encode())
    return list(root.find("QBXMLMsgsRq"))


def test_every_message_the_pipeline_sends_passes_the_simulated_schema():
    """First handshake, an incremental pass, a split window and a deletion sync."""
    lists = QuickBooksLists(uuid4())
    lists.record_page(
        "accounts",
        [
            {
                "list_id": "1",
                "edit_sequence": "1",
                "time_modified": "2026-01-05T09:00:00-08:00",
                "name": "A",
                "full_name": "A",
                "type": "Account",
                "is_active": True,
            }
        ],
        datetime.now(UTC),
    )
    lists.request_deletion_sync(datetime.now(UTC))
    steps = registry.plan(lists)
    assert steps[-1] == DELETIONS
    every = frozenset(range(len(steps)))
    works = [SessionWork(finished=every - {index}) for index in range(len(steps))]
    windows = (Window("Account 00500", "Account 00900"), Window(None, "B"))
    works.append(SessionWork(active={0: ListPass(from_modified=None, windows=windows)}))
    customers = steps.index("customers")
    works.append(
        SessionWork(
            finished=every - {customers},
            active={customers: ListPass(from_modified=None, iterator_id="{IT}")},
        )
    )
    works.append(SessionWork())  # the first message, with whatever shares it
    checked = set()
    for work in works:
        message = StepDriver(steps, lists, work=work).send()
        assert message is not None
        for rq in _requests_of(message.qbxml):
            check_request(rq, 13.0)
            checked.add(rq.tag)
    assert checked == {*LIST_QUERIES.values(), "ListDeletedQueryRq"}


def test_a_message_is_a_qbxml_13_document():
    rq = build_request("HostQueryRq", {}, request_id="1", version="13.0")
    text = build_message([rq], version="13.0")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>')

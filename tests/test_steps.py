"""The step pipeline: which requests share a message, how answers reach their steps, and what
the context gives a step."""

from __future__ import annotations

from uuid import uuid4

from lxml import etree

from engine.aggregates.quickbooks_lists import LIST_NAMES, QuickBooksLists
from engine.kinds import TransferKind
from engine.queue import Routing
from engine.steps import registry
from engine.steps.pipeline import ANSWER_BUDGET_BYTES
from tests.helpers import StepDriver


def requests_of(message) -> list[etree._Element]:
    root = etree.fromstring(message.qbxml.split("?>", 2)[2].encode())
    return list(root.find("QBXMLMsgsRq"))


def answer(message, rets: dict[str, str] | None = None, skip: tuple[str, ...] = ()) -> str:
    """QuickBooks' answer to every request of `message`: the given records, else nothing."""
    parts = []
    for rq in requests_of(message):
        request_id = rq.get("requestID")
        step = request_id.split(".", 1)[1]
        if step in skip:
            continue
        body = (rets or {}).get(step)
        code, text = ("0", "Status OK") if body else ("1", "no match")
        tag = rq.tag.replace("Rq", "Rs")
        parts.append(
            f'<{tag} requestID="{request_id}" statusCode="{code}" statusSeverity="Info" '
            f'statusMessage="{text}">{body or ""}</{tag}>'
        )
    return f"<QBXML><QBXMLMsgsRs>{''.join(parts)}</QBXMLMsgsRs></QBXML>"


def class_rets(count: int) -> str:
    return "".join(
        f"<ClassRet><ListID>C{i}</ListID><TimeModified>2026-01-05T09:00:00-08:00</TimeModified>"
        f"<EditSequence>1</EditSequence><Name>Class {i:05d}</Name>"
        f"<FullName>Class {i:05d}</FullName></ClassRet>"
        for i in range(count)
    )


def test_small_lists_share_messages_in_order_within_the_answer_budget():
    lists = QuickBooksLists(uuid4())
    steps = registry.plan(lists)
    driver = StepDriver(steps, lists)
    purposes, message = [], driver.send()
    while message is not None:
        names = message.purpose.split(", ")
        bound = sum(
            registry.step(n).request(driver.state(n), driver.context, "x").answer_bound
            for n in names
        )
        assert bound <= ANSWER_BUDGET_BYTES or len(names) == 1
        on_error = etree.fromstring(message.qbxml.split("?>", 2)[2].encode())[0].get("onError")
        assert on_error == ("continueOnError" if len(names) > 1 else "stopOnError")
        purposes.append(names)
        driver.answer(answer(message))
        message = driver.send()
    assert [n for names in purposes for n in names] == list(LIST_NAMES)
    assert len(purposes) < len(LIST_NAMES)  # round trips saved
    assert ["terms", "sales_tax_codes", "ship_methods"] in purposes
    assert driver.progress == 100 and set(lists.synced_at) == set(LIST_NAMES)


def test_a_step_unfinished_in_a_shared_message_goes_on_beside_the_next_ones():
    lists = QuickBooksLists(uuid4())
    driver = StepDriver(list(LIST_NAMES), lists)
    driver.answer(answer(driver.send()))  # accounts, alone
    shared = driver.send()
    assert shared.purpose == "classes, employees, vendors, payroll_items"
    work = driver.answer(answer(shared, {"classes": class_rets(1001)}))  # overfull: split
    assert work.finished == {0, 2, 3, 4}
    assert len(driver.state("classes").windows) == 2 and "classes" not in lists.synced_at
    following = driver.send()
    # The lower half of the classes goes first; items would not fit beside it.
    assert following.purpose == "classes"
    assert requests_of(following)[0].find("NameRangeFilter") is not None


def test_a_request_left_unanswered_closes_its_step_with_a_problem():
    lists = QuickBooksLists(uuid4())
    driver = StepDriver(["terms", "sales_tax_codes", "ship_methods"], lists)
    message = driver.send()
    assert len(requests_of(message)) == 3
    work = driver.answer(answer(message, skip=("sales_tax_codes",)))
    assert work.finished == {0, 1, 2}
    assert work.problems == ("sales_tax_codes: QuickBooks returned no response",)
    assert set(lists.synced_at) == {"terms", "ship_methods"}


class Catalog:
    def __init__(self, records):
        self.records = records

    def records_of(self, kind):
        return [r for r in self.records if r["kind"] == kind]


class Directory:
    def find(self, connector_id, list_name, name_or_list_id):
        return {"list_id": "80000001-1", "full_name": name_or_list_id} if list_name else None

    def records(self, connector_id, list_name, *, active_only=False):
        return []


def test_the_context_gives_a_step_its_ready_documents_and_list_lookups():
    lists = QuickBooksLists(uuid4())
    here, elsewhere = str(lists.connector_id), str(uuid4())

    def doc(psa_id, org, status="ready"):
        return {
            "kind": "invoices",
            "psa_id": psa_id,
            "status": status,
            "data": {"organization_id": org},
        }

    catalog = Catalog(
        [
            {"kind": "organizations", "psa_id": "o1", "connector_id": None},
            {"kind": "organizations", "psa_id": "o2", "connector_id": elsewhere},
            {"kind": "organizations", "psa_id": "o3", "connector_id": here},
            doc("i1", "o1"),
            doc("i2", "o2"),
            doc("i3", "o3"),
            doc("i4", "o1", status="not_ready"),
        ]
    )
    driver = StepDriver(["accounts"], lists)
    driver.context.catalog, driver.context.directory = catalog, Directory()
    ready = driver.context.ready_documents(TransferKind.INVOICES)
    # The connector is the default (StepDriver's routing): unassigned work comes here too.
    assert [d["psa_id"] for d, _ in ready] == ["i1", "i3"]
    driver.context.load_routing = lambda: Routing(lists.connector_id, uuid4(), None)
    driver.context._records.clear()
    assert [d["psa_id"] for d, _ in driver.context.ready_documents(TransferKind.INVOICES)] == ["i3"]
    assert driver.context.ready_documents(TransferKind.PURCHASE_ORDERS) == []
    assert driver.context.find("customers", "Bright")["full_name"] == "Bright"

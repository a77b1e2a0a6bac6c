"""What the next qbXML message of a session carries, and what its answer means for the session.

A session works through steps in order. Today the steps are the list syncs of the first
handshake (open question 3's order) and, when due, a deletion sync; later steps (paid dates,
transfers, inventory) plug in here. Each step builds its message from the session cursor and
folds the answer back into a new cursor.

Every answer stays well inside the 10 MB a post may carry, by design: queries name the fields
the engine keeps (`IncludeRetElement`), lists whose query takes an iterator are paged 1,000
records at a time, and the others are asked for in windows of names (`list_windows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine import list_windows
from engine.aggregates.quickbooks_lists import LIST_NAMES, QuickBooksLists
from engine.list_windows import Window
from engine.qbxml import status
from engine.qbxml.builder import build_message, build_request
from engine.qbxml.parser import Response, ResponseSet, deleted_record, list_record
from engine.qbxml.schema import takes_iterator

PAGE_SIZE = 1000
MAX_ITERATOR_RESTARTS = 2
DELETIONS = "deletions"
LIST_QUERIES = {
    "accounts": "AccountQueryRq",
    "classes": "ClassQueryRq",
    "employees": "EmployeeQueryRq",
    "vendors": "VendorQueryRq",
    "payroll_items": "PayrollItemWageQueryRq",
    "items": "ItemQueryRq",
    "customers": "CustomerQueryRq",
    "terms": "StandardTermsQueryRq",
    "sales_tax_codes": "SalesTaxCodeQueryRq",
    "ship_methods": "ShipMethodQueryRq",
}
_IDENTITY = ["ListID", "TimeModified", "EditSequence", "Name", "IsActive"]
_TREE = [*_IDENTITY, "FullName", "ParentRef"]
# The fields asked for per list: what the engine reads of each record (identity, hierarchy, an
# account's type for the mapping and readiness checks, a customer's e-mail for invoices to be
# e-mailed), and nothing else; the record's type comes from its *Ret element.
LIST_FIELDS = {
    "accounts": [*_TREE, "AccountType"],
    "classes": _TREE,
    "employees": _IDENTITY,
    "vendors": _IDENTITY,
    "payroll_items": _IDENTITY,
    "items": _TREE,
    "customers": [*_TREE, "Email"],
    "terms": _IDENTITY,
    "sales_tax_codes": _IDENTITY,
    "ship_methods": _IDENTITY,
}
# An answer holds at most PAGE_SIZE (iterators) or WINDOW_LIMIT + 1 (windows) records of the
# fields above; the largest a record can be, from qbXML's length limits in UTF-8, keeps such an
# answer under this budget (docs/performance.md has the arithmetic), well inside the 10 MB a
# post may carry.
ANSWER_BUDGET_BYTES = 4 * 1024 * 1024
DELETED_FIELDS = ["ListDelType", "ListID", "TimeDeleted", "FullName"]
# ListDeletedQuery types, and the list each one belongs to.
DELETED_TYPES = {
    "Account": "accounts",
    "Class": "classes",
    "Employee": "employees",
    "Vendor": "vendors",
    "PayrollItemWage": "payroll_items",
    "Customer": "customers",
    "StandardTerms": "terms",
    "DateDrivenTerms": "terms",
    "SalesTaxCode": "sales_tax_codes",
    "ShipMethod": "ship_methods",
    **{
        t: "items"
        for t in (
            "ItemService",
            "ItemNonInventory",
            "ItemOtherCharge",
            "ItemInventory",
            "ItemInventoryAssembly",
            "ItemSalesTax",
            "ItemSalesTaxGroup",
            "ItemDiscount",
            "ItemGroup",
            "ItemPayment",
            "ItemSubtotal",
            "ItemFixedAsset",
        )
    },
}


@dataclass(frozen=True)
class PlannedMessage:
    """A message ready for sendRequestXML, and the cursor as it stands once it is sent."""

    qbxml: str
    request_ids: list[str]
    purpose: str
    cursor: dict[str, Any]


def plan_steps(lists: QuickBooksLists) -> list[str]:
    """The steps of a session: every list (incrementally once synced), deletions when due."""
    return list(LIST_NAMES) + ([DELETIONS] if lists.deletions_due else [])


def next_message(
    steps: list[str],
    cursor: dict[str, Any],
    seq: int,
    lists: Callable[[], QuickBooksLists],
    version: str,
) -> PlannedMessage | None:
    """The message for the session's current step, or None when every step is done. `lists`
    loads the connector's lists aggregate; it is called only where a step starts."""
    index = cursor.get("step", 0)
    if index >= len(steps):
        return None
    step = steps[index]
    request_id = f"{seq}.{step}"
    if step == DELETIONS:
        since = lists().deletions_from()
        data: dict[str, Any] = {"ListDelType": list(DELETED_TYPES)}
        if since:
            data["DeletedDateRangeFilter"] = {"FromDeletedDate": since}
        rq = build_request(
            "ListDeletedQueryRq",
            data,
            request_id=request_id,
            version=version,
            include=DELETED_FIELDS,
        )
        return PlannedMessage(build_message([rq], version=version), [request_id], step, cursor)
    cursor = dict(cursor)
    if "from_modified" not in cursor:
        # Fixed when the pass starts: an iterator must be continued with the same filters,
        # and every window of a pass must ask for the same changes.
        cursor["from_modified"] = lists().from_modified(step)
    query = LIST_QUERIES[step]
    data = {"ActiveStatus": "All"}
    if cursor["from_modified"]:
        data["FromModifiedDate"] = cursor["from_modified"]
    if takes_iterator(query):
        iterator_id = cursor.get("iterator_id")
        rq = build_request(
            query,
            {"MaxReturned": PAGE_SIZE, **data},
            request_id=request_id,
            version=version,
            iterator="Continue" if iterator_id else "Start",
            iterator_id=iterator_id,
            include=LIST_FIELDS[step],
        )
    else:
        window = _windows(cursor)[0]
        data = {"MaxReturned": list_windows.WINDOW_LIMIT + 1, **data}
        if window.name_range():
            data["NameRangeFilter"] = window.name_range()
        rq = build_request(
            query, data, request_id=request_id, version=version, include=LIST_FIELDS[step]
        )
    return PlannedMessage(build_message([rq], version=version), [request_id], step, cursor)


def _windows(cursor: dict[str, Any]) -> list[Window]:
    """The name windows still to ask for in this pass (the whole list to begin with)."""
    return [Window.from_list(bounds) for bounds in cursor.get("windows", [[None, None]])]


def absorb(
    steps: list[str],
    cursor: dict[str, Any],
    responses: ResponseSet,
    lists: QuickBooksLists,
    now: datetime,
) -> dict[str, Any]:
    """Fold QuickBooks' answer to the current step into `lists`; returns the new cursor."""
    step = steps[cursor.get("step", 0)]
    response = responses.responses[0] if responses.responses else None
    if response is None:
        return _next_step(cursor, f"{step}: QuickBooks returned no response")
    decision = response.status.decision
    if decision in (status.OK, status.NO_MATCH, status.WARNING):
        if step == DELETIONS:
            return _absorb_deletions(cursor, response, lists, now)
        return _absorb_page(step, cursor, response, lists, now)
    if decision == status.RESTART_ITERATOR and cursor.get("restarts", 0) < MAX_ITERATOR_RESTARTS:
        return {**cursor, "iterator_id": None, "restarts": cursor.get("restarts", 0) + 1}
    problem = f"{step}: QuickBooks status {response.status.code}: {response.status.message}"
    if decision == status.UNSUPPORTED:
        problem = f"{step}: not available in this QuickBooks ({response.status.message})"
    return _next_step(cursor, problem)


def _absorb_page(
    step: str, cursor: dict[str, Any], response: Response, lists: QuickBooksLists, now: datetime
) -> dict[str, Any]:
    if not takes_iterator(LIST_QUERIES[step]):
        return _absorb_window(step, cursor, response, lists, now)
    records = [list_record(ret) for ret in response.rets]
    fresh = lists.record_page(step, records, now)
    cursor = {
        **cursor,
        "received": cursor.get("received", 0) + len(records),
        "recorded": cursor.get("recorded", 0) + fresh,
    }
    if response.iterator_remaining:
        return {
            **cursor,
            "iterator_id": response.iterator_id,
            "remaining": response.iterator_remaining,
        }
    lists.complete_list(step, now)
    return _next_step(cursor, None, stats={step: cursor["recorded"]})


def _absorb_window(
    step: str,
    cursor: dict[str, Any],
    response: Response,
    lists: QuickBooksLists,
    now: datetime,
) -> dict[str, Any]:
    """One window's answer: recorded when it is whole, else the window is split and asked
    again (what an overfull answer held is not recorded, so nothing is recorded twice)."""
    window, *rest = _windows(cursor)
    asked = cursor.get("windows_asked", 0) + 1
    problem = None
    if not list_windows.is_complete(len(response.rets)):
        names = [ret.findtext("FullName") or ret.findtext("Name") or "" for ret in response.rets]
        halves = list_windows.split(window, names)
        if halves is not None and asked < list_windows.MAX_WINDOWS:
            return {
                **cursor,
                "windows": [half.to_list() for half in halves] + [w.to_list() for w in rest],
                "windows_asked": asked,
            }
        # QuickBooks sent names outside the window, or far too many windows were needed:
        # keep what came, say so, and do not loop.
        problem = (
            f"{step}: QuickBooks answered more than {list_windows.WINDOW_LIMIT} records for "
            f"the names {window.low or '(first)'} to {window.high or '(last)'}"
        )
        rest = []
    # A record named like a window's bound comes in both windows: record it once.
    records = [list_record(ret) for ret in response.rets]
    edges = dict(cursor.get("edges", {}))
    received = len(records)
    records = [r for r in records if edges.pop(r["list_id"], None) != r["edit_sequence"]]
    bounds = {bound.casefold() for w in rest for bound in (w.low, w.high) if bound}
    edges.update(
        {r["list_id"]: r["edit_sequence"] for r in records if r["full_name"].casefold() in bounds}
    )
    fresh = lists.record_page(step, records, now)
    cursor = {
        **cursor,
        "received": cursor.get("received", 0) + received,
        "recorded": cursor.get("recorded", 0) + fresh,
        "windows": [w.to_list() for w in rest],
        "windows_asked": asked,
        "edges": edges,
    }
    if rest:
        return cursor
    lists.complete_list(step, now)
    return _next_step(cursor, problem, stats={step: cursor["recorded"]})


def _absorb_deletions(
    cursor: dict[str, Any], response: Response, lists: QuickBooksLists, now: datetime
) -> dict[str, Any]:
    records = []
    for ret in response.rets:
        record = deleted_record(ret)
        if record["type"] in DELETED_TYPES:
            records.append({**record, "list_name": DELETED_TYPES[record["type"]]})
    lists.record_deletions(records, now)
    lists.complete_deletions(now)
    return _next_step(cursor, None, stats={DELETIONS: len(records)})


def _next_step(
    cursor: dict[str, Any], problem: str | None, stats: dict[str, int] | None = None
) -> dict[str, Any]:
    problems = list(cursor.get("problems", [])) + ([problem] if problem else [])
    recorded = {**cursor.get("stats", {}), **(stats or {})}
    return {"step": cursor.get("step", 0) + 1, "problems": problems, "stats": recorded}


def progress(steps: list[str], cursor: dict[str, Any]) -> int:
    """0-99 while steps remain (never 100 early: that ends the session), 100 when done."""
    done = cursor.get("step", 0)
    if done >= len(steps):
        return 100
    if "windows" in cursor:
        asked, left = cursor.get("windows_asked", 0), len(cursor["windows"])
        partial = asked / (asked + left) if asked + left else 0.0
    else:
        received, remaining = cursor.get("received", 0), cursor.get("remaining") or 0
        partial = received / (received + remaining) if received + remaining else 0.0
    return min(99, int(100 * (done + partial) / len(steps)))

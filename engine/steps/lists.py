"""The list syncs: one step per QuickBooks list, in full on the first handshake, then
incrementally (records modified since the list's watermark).

Every answer stays well inside the 10 MB a post may carry, by design: queries name the fields
the engine keeps (`IncludeRetElement`), lists whose query takes an iterator are paged 1,000
records at a time, and the others are asked for in windows of names (`list_windows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from engine import list_windows
from engine.list_windows import Window
from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response, list_record
from engine.qbxml.schema import takes_iterator
from engine.steps.base import Outcome, QueryStep, Request, StepContext

PAGE_SIZE = 1000
MAX_ITERATOR_RESTARTS = 2
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
# The largest record of those fields, in bytes, from qbXML's length limits with every
# character of a name escaped (docs/performance.md has the arithmetic); an answer holds at most
# PAGE_SIZE or WINDOW_LIMIT + 1 of them.
_LARGEST_RECORD = {"customers": 3_800, "accounts": 2_200, "classes": 2_200, "items": 2_200}
_LARGEST_IDENTITY_RECORD = 650


def largest_answer(list_name: str) -> int:
    """The most bytes one answer of this list's query can carry."""
    records = (
        PAGE_SIZE if takes_iterator(LIST_QUERIES[list_name]) else list_windows.WINDOW_LIMIT + 1
    )
    return records * _LARGEST_RECORD.get(list_name, _LARGEST_IDENTITY_RECORD)


@dataclass(frozen=True)
class ListPass:
    """Where one pass over a list stands. `from_modified` is fixed when the pass starts: an
    iterator must be continued with the same filters, and every window of a pass must ask for
    the same changes. `edges` remembers records named like a window's bound (they come in both
    windows) so they are recorded once."""

    KIND: ClassVar[str] = "list_pass"
    VERSION: ClassVar[int] = 1

    from_modified: str | None
    iterator_id: str | None = None
    remaining: int = 0
    restarts: int = 0
    received: int = 0
    recorded: int = 0
    windows: tuple[Window, ...] = (Window(None, None),)
    windows_asked: int = 0
    edges: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The pass as JSON values."""
        return {
            "from_modified": self.from_modified,
            "iterator_id": self.iterator_id,
            "remaining": self.remaining,
            "restarts": self.restarts,
            "received": self.received,
            "recorded": self.recorded,
            "windows": [w.to_list() for w in self.windows],
            "windows_asked": self.windows_asked,
            "edges": dict(self.edges),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int) -> ListPass:
        """Read back any version (0 is the untyped cursor of sessions before the pipeline,
        which used the same keys)."""
        return cls(
            from_modified=data.get("from_modified"),
            iterator_id=data.get("iterator_id"),
            remaining=data.get("remaining") or 0,
            restarts=data.get("restarts", 0),
            received=data.get("received", 0),
            recorded=data.get("recorded", 0),
            windows=tuple(Window.from_list(b) for b in data.get("windows", [[None, None]])),
            windows_asked=data.get("windows_asked", 0),
            edges=dict(data.get("edges", {})),
        )


class ListSync(QueryStep[ListPass]):
    """One list's pass: iterator pages where the query takes an iterator, else name windows."""

    def __init__(self, list_name: str) -> None:
        self.name = list_name
        self.query = LIST_QUERIES[list_name]
        self.paged = takes_iterator(self.query)

    def start(self, context: StepContext) -> ListPass:
        """A pass from the list's watermark (or from the beginning)."""
        return ListPass(from_modified=context.lists().from_modified(self.name))

    def request(self, state: ListPass, context: StepContext, request_id: str) -> Request:
        """The next iterator page or name window."""
        data: dict[str, Any] = {"ActiveStatus": "All"}
        if state.from_modified:
            data["FromModifiedDate"] = state.from_modified
        if self.paged:
            element = build_request(
                self.query,
                {"MaxReturned": PAGE_SIZE, **data},
                request_id=request_id,
                version=context.qbxml_version,
                iterator="Continue" if state.iterator_id else "Start",
                iterator_id=state.iterator_id,
                include=LIST_FIELDS[self.name],
            )
        else:
            data = {"MaxReturned": list_windows.WINDOW_LIMIT + 1, **data}
            name_range = state.windows[0].name_range()
            if name_range:
                data["NameRangeFilter"] = name_range
            element = build_request(
                self.query,
                data,
                request_id=request_id,
                version=context.qbxml_version,
                include=LIST_FIELDS[self.name],
            )
        return Request.one(element, largest_answer(self.name))

    def absorb_one(
        self, state: ListPass, response: Response, context: StepContext
    ) -> Outcome[ListPass]:
        """Record a page or a whole window; restart an expired iterator; report a failure."""
        decision = response.status.decision
        if decision in (status.OK, status.NO_MATCH, status.WARNING):
            if self.paged:
                return self._absorb_page(state, response, context)
            return self._absorb_window(state, response, context)
        if decision == status.RESTART_ITERATOR and state.restarts < MAX_ITERATOR_RESTARTS:
            return Outcome(replace(state, iterator_id=None, restarts=state.restarts + 1))
        problem = (
            f"{self.name}: QuickBooks status {response.status.code}: {response.status.message}"
        )
        if decision == status.UNSUPPORTED:
            problem = f"{self.name}: not available in this QuickBooks ({response.status.message})"
        return Outcome(state, finished=True, problem=problem)

    def progress(self, state: ListPass) -> float:
        """Windows asked of windows known, or records received of records QuickBooks has."""
        if not self.paged:
            asked, left = state.windows_asked, len(state.windows)
            return asked / (asked + left) if asked + left else 0.0
        received, remaining = state.received, state.remaining
        return received / (received + remaining) if received + remaining else 0.0

    def _absorb_page(
        self, state: ListPass, response: Response, context: StepContext
    ) -> Outcome[ListPass]:
        lists = context.lists()
        records = [list_record(ret) for ret in response.rets]
        fresh = lists.record_page(self.name, records, context.now)
        state = replace(
            state, received=state.received + len(records), recorded=state.recorded + fresh
        )
        if response.iterator_remaining:
            return Outcome(
                replace(
                    state, iterator_id=response.iterator_id, remaining=response.iterator_remaining
                )
            )
        lists.complete_list(self.name, context.now)
        return Outcome(state, finished=True, recorded=state.recorded)

    def _absorb_window(
        self, state: ListPass, response: Response, context: StepContext
    ) -> Outcome[ListPass]:
        """One window's answer: recorded when it is whole, else the window is split and asked
        again (what an overfull answer held is not recorded, so nothing is recorded twice)."""
        window, *rest = state.windows
        asked = state.windows_asked + 1
        problem = None
        if not list_windows.is_complete(len(response.rets)):
            names = [
                ret.findtext("FullName") or ret.findtext("Name") or "" for ret in response.rets
            ]
            halves = list_windows.split(window, names)
            if halves is not None and asked < list_windows.MAX_WINDOWS:
                return Outcome(replace(state, windows=(*halves, *rest), windows_asked=asked))
            # QuickBooks sent names outside the window, or far too many windows were needed:
            # keep what came, say so, and do not loop.
            problem = (
                f"{self.name}: QuickBooks answered more than {list_windows.WINDOW_LIMIT} "
                f"records for the names {window.low or '(first)'} to {window.high or '(last)'}"
            )
            rest = []
        # A record named like a window's bound comes in both windows: record it once.
        records = [list_record(ret) for ret in response.rets]
        edges = dict(state.edges)
        received = len(records)
        records = [r for r in records if edges.pop(r["list_id"], None) != r["edit_sequence"]]
        bounds = {bound.casefold() for w in rest for bound in (w.low, w.high) if bound}
        edges.update(
            {
                r["list_id"]: r["edit_sequence"]
                for r in records
                if r["full_name"].casefold() in bounds
            }
        )
        lists = context.lists()
        fresh = lists.record_page(self.name, records, context.now)
        state = replace(
            state,
            received=state.received + received,
            recorded=state.recorded + fresh,
            windows=tuple(rest),
            windows_asked=asked,
            edges=edges,
        )
        if rest:
            return Outcome(state)
        lists.complete_list(self.name, context.now)
        return Outcome(state, finished=True, problem=problem, recorded=state.recorded)

"""The deletion sync: which records QuickBooks deleted since the last one (ListDeletedQuery),
so mappings that point at them can be reported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response, deleted_record
from engine.steps.base import Outcome, QueryStep, Request, StepContext

DELETIONS = "deletions"
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
# ListDeletedQuery has no MaxReturned; its answer carries four short fields per record deleted
# since the last deletion sync. It is never combined with other requests.
LARGEST_ANSWER = 10 * 1024 * 1024


@dataclass(frozen=True)
class DeletionPass:
    """A deletion sync: deletions since `since` (None: every deletion QuickBooks remembers)."""

    KIND: ClassVar[str] = "deletion_pass"
    VERSION: ClassVar[int] = 1

    since: str | None

    def to_json(self) -> dict[str, Any]:
        """The pass as JSON values."""
        return {"since": self.since}

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int) -> DeletionPass:
        """Read back any version."""
        return cls(since=data.get("since"))


class DeletionSync(QueryStep[DeletionPass]):
    """One ListDeletedQuery over every list type the engine keeps."""

    name = DELETIONS

    def start(self, context: StepContext) -> DeletionPass:
        """From an hour before the latest deletion seen (QuickBooks' clock can be off)."""
        return DeletionPass(since=context.lists().deletions_from())

    def request(self, state: DeletionPass, context: StepContext, request_id: str) -> Request:
        """The query."""
        data: dict[str, Any] = {"ListDelType": list(DELETED_TYPES)}
        if state.since:
            data["DeletedDateRangeFilter"] = {"FromDeletedDate": state.since}
        element = build_request(
            "ListDeletedQueryRq",
            data,
            request_id=request_id,
            version=context.qbxml_version,
            include=DELETED_FIELDS,
        )
        return Request.one(element, LARGEST_ANSWER)

    def absorb_one(
        self, state: DeletionPass, response: Response, context: StepContext
    ) -> Outcome[DeletionPass]:
        """Record the deletions of the lists the engine keeps."""
        if response.status.decision not in (status.OK, status.NO_MATCH, status.WARNING):
            code, message = response.status.code, response.status.message
            problem = f"{self.name}: QuickBooks status {code}: {message}"
            if response.status.decision == status.UNSUPPORTED:
                problem = f"{self.name}: not available in this QuickBooks ({message})"
            return Outcome(state, finished=True, problem=problem)
        records = []
        for ret in response.rets:
            record = deleted_record(ret)
            if record["type"] in DELETED_TYPES:
                records.append({**record, "list_name": DELETED_TYPES[record["type"]]})
        lists = context.lists()
        lists.record_deletions(records, context.now)
        lists.complete_deletions(context.now)
        return Outcome(state, finished=True, recorded=len(records))

    def progress(self, state: DeletionPass) -> float:
        """A deletion sync is one message."""
        return 0.0

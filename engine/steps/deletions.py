"""The deletion sync: which records QuickBooks deleted since the last one (ListDeletedQuery),
so mappings that point at them can be reported, and which transactions (TxnDeletedQuery), so
transferred documents deleted there are flagged."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from engine.aggregates.quickbooks_lists import parse_qb_time
from engine.errors import DomainError
from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response, deleted_record, deleted_txn
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


# TxnDeletedQuery types: the transactions transfers create (a deleted one is flagged on its
# transfer and document, and never sent again by itself).
DELETED_TXN_TYPES = ("Invoice", "Bill", "TimeTracking", "PurchaseOrder", "ItemReceipt")
DELETED_TXN_FIELDS = ["TxnDelType", "TxnID", "TimeDeleted", "RefNumber"]
LISTS, TRANSACTIONS = "lists", "transactions"


@dataclass(frozen=True)
class DeletionPass:
    """A deletion sync: deletions since `since` (None: every deletion QuickBooks remembers),
    of list records first, then of transactions (`phase`)."""

    KIND: ClassVar[str] = "deletion_pass"
    VERSION: ClassVar[int] = 2  # 2: phase (version 1 asked for list records only)

    since: str | None
    phase: str = LISTS
    records: int = 0  # list records found deleted by the first phase

    def to_json(self) -> dict[str, Any]:
        """The pass as JSON values."""
        return {
            "since": self.since,
            "phase": self.phase,
            "records": self.records,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int) -> DeletionPass:
        """Read back any version."""
        return cls(
            since=data.get("since"),
            phase=data.get("phase", LISTS),
            records=int(data.get("records") or 0),
        )


class DeletionSync(QueryStep[DeletionPass]):
    """ListDeletedQuery over every list type the engine keeps, then TxnDeletedQuery over the
    transaction types transfers create. Each is a message of its own: neither can be paged."""

    name = DELETIONS

    def start(self, context: StepContext) -> DeletionPass:
        """From an hour before the latest deletion seen (QuickBooks' clock can be off)."""
        return DeletionPass(since=context.lists().deletions_from())

    def request(self, state: DeletionPass, context: StepContext, request_id: str) -> Request:
        """The query of the pass's phase."""
        window = {"DeletedDateRangeFilter": {"FromDeletedDate": state.since}} if state.since else {}
        if state.phase == LISTS:
            name, data, fields = (
                "ListDeletedQueryRq",
                {"ListDelType": list(DELETED_TYPES)},
                DELETED_FIELDS,
            )
        else:
            name, data = "TxnDeletedQueryRq", {"TxnDelType": list(DELETED_TXN_TYPES)}
            fields = DELETED_TXN_FIELDS
        element = build_request(
            name,
            {**data, **window},
            request_id=request_id,
            version=context.qbxml_version,
            include=fields,
        )
        return Request.one(element, LARGEST_ANSWER)

    def absorb_one(
        self, state: DeletionPass, response: Response, context: StepContext
    ) -> Outcome[DeletionPass]:
        """Record the deletions of the lists the engine keeps, then flag the transfers whose
        transactions were deleted."""
        if response.status.decision not in (status.OK, status.NO_MATCH, status.WARNING):
            code, message = response.status.code, response.status.message
            problem = f"{self.name}: QuickBooks status {code}: {message}"
            if response.status.decision == status.UNSUPPORTED:
                problem = f"{self.name}: not available in this QuickBooks ({message})"
            return Outcome(state, finished=True, problem=problem)
        if state.phase == LISTS:
            records = []
            for ret in response.rets:
                record = deleted_record(ret)
                if record["type"] in DELETED_TYPES:
                    records.append({**record, "list_name": DELETED_TYPES[record["type"]]})
            context.lists().record_deletions(records, context.now)
            return Outcome(replace(state, phase=TRANSACTIONS, records=len(records)))
        deleted = [deleted_txn(ret) for ret in response.rets]
        try:
            flagged = flag_deleted_transfers(deleted, context)
        except DomainError as exc:  # the transfers read model is behind: try next session
            problem = (
                f"{self.name}: deleted transactions not checked ({exc}); the deletion sync "
                "stays due"
            )
            return Outcome(state, finished=True, problem=problem)
        stamped = [(parse_qb_time(d["time_deleted"]), d["time_deleted"]) for d in deleted]
        latest = max(((m, t) for m, t in stamped if m is not None), default=(None, None))[1]
        context.lists().complete_deletions(context.now, latest)
        # What the session shows as recorded: list records deleted, and transfers flagged.
        return Outcome(state, finished=True, recorded=state.records + flagged)

    def progress(self, state: DeletionPass) -> float:
        """Two messages: half way once the list records' deletions are in."""
        return 0.0 if state.phase == LISTS else 0.5


def flag_deleted_transfers(deleted: list[dict[str, str]], context: StepContext) -> int:
    """Flag each transfer of this connector whose transaction is among `deleted`, and its
    document; returns how many were flagged (already flagged ones are not counted again)."""
    if not deleted or context.queue is None:
        return 0
    by_txn = {d["txn_id"]: d for d in deleted if d["txn_id"]}
    flagged = 0
    for transfer_id in context.queue.holding(context.connector_id, list(by_txn)):
        transfer = context.load_transfer(transfer_id)
        if transfer is None or transfer.txn_id not in by_txn:
            continue
        gone = by_txn[transfer.txn_id]
        if transfer.record_deletion(
            gone["txn_id"], gone["type"], gone["time_deleted"], context.session_id, context.now
        ):
            document = context.load_document(transfer.document_id)
            document.record_deletion(
                context.connector_id, gone["txn_id"], gone["time_deleted"], context.now
            )
            flagged += 1
    return flagged

"""Paid dates, from QuickBooks to the PSA (product-spec §6.3, open question 14): for the
invoices this connector put in QuickBooks in the last six months and that have no paid date
yet, QuickBooks is asked (by TxnID, so only our invoices, 100 to a request) whether each is
paid; a fully paid invoice gets the date of its last linked payment or credit. A partial
payment sets nothing; a paid date set by hand is never overwritten."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, ClassVar
from uuid import UUID

from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response
from engine.steps.base import Outcome, Request, StepContext

PAID_DATES = "paid_dates"
PER_REQUEST = 100
SYNCED_DAYS = 183  # "only paid dates up to 6 months in the past are synced"
# An InvoiceRet of these fields with its linked payments is well under 2 KB.
ANSWER_PER_INVOICE = 2 * 1024
FIELDS = ["TxnID", "IsPaid", "LinkedTxn"]
PAYMENTS = ("ReceivePayment", "CreditMemo", "JournalEntry", "Deposit")


@dataclass(frozen=True)
class PaidPass:
    """Where the paid-date pass stands: the last TxnID asked about, and what is in flight."""

    KIND: ClassVar[str] = "paid_pass"
    VERSION: ClassVar[int] = 1

    after: str | None = None
    asked: tuple[tuple[str, str], ...] = ()  # (TxnID, transfer id) of the request in flight
    checked: int = 0
    paid: int = 0
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        """The pass as JSON values."""
        return {
            "after": self.after,
            "asked": [list(pair) for pair in self.asked],
            "checked": self.checked,
            "paid": self.paid,
            "done": self.done,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int) -> PaidPass:
        """Read back any version."""
        return cls(
            after=data["after"],
            asked=tuple((a, b) for a, b in data["asked"]),
            checked=data["checked"],
            paid=data["paid"],
            done=data["done"],
        )


class PaidDates:
    """The paid-date sync of one connector's invoices."""

    name = PAID_DATES

    def start(self, context: StepContext) -> PaidPass:
        """The first invoices to ask about."""
        return self._next(PaidPass(), context)

    def due(self, state: PaidPass, context: StepContext) -> bool:
        """Invoices are left to ask about."""
        return not state.done and bool(state.asked)

    def request(self, state: PaidPass, context: StepContext, request_id: str) -> Request:
        """An InvoiceQuery by TxnID with linked transactions."""
        if not self.due(state, context):
            return Request((), 0)
        element = build_request(
            "InvoiceQueryRq",
            {"TxnID": [txn for txn, _ in state.asked], "IncludeLinkedTxns": True},
            request_id=request_id,
            version=context.qbxml_version,
            include=FIELDS,
        )
        return Request.one(element, ANSWER_PER_INVOICE * len(state.asked))

    def sent(self, state: PaidPass, request: Request, context: StepContext) -> PaidPass:
        """Asking changes nothing."""
        return state

    def absorb(
        self, state: PaidPass, responses: list[Response | None], context: StepContext
    ) -> Outcome[PaidPass]:
        """Record the paid dates QuickBooks has; go on with the next invoices."""
        response = responses[0] if responses else None
        paid = 0
        if response is not None and response.status.decision in (
            status.OK,
            status.NO_MATCH,
            status.WARNING,  # 500: some of them are no longer in QuickBooks
        ):
            transfers = dict(state.asked)
            for ret in response.rets:
                transfer_id = transfers.get(ret.findtext("TxnID") or "")
                when = _paid_on(ret)
                if transfer_id is None or when is None:
                    continue
                transfer = context.load_transfer(UUID(transfer_id))
                if transfer is None:
                    continue
                document = context.load_document(transfer.document_id)
                paid += document.record_paid_in_quickbooks(when, context.now)
        state = replace(state, checked=state.checked + len(state.asked), paid=state.paid + paid)
        state = self._next(state, context)
        return Outcome(state, finished=state.done, recorded=state.paid if state.done else None)

    def interrupted(self, state: PaidPass, context: StepContext) -> PaidPass:
        """A query: asked again."""
        return state

    def progress(self, state: PaidPass) -> float:
        """Unknown ahead: a pass is short."""
        return 0.5 if state.checked else 0.0

    def _next(self, state: PaidPass, context: StepContext) -> PaidPass:
        if context.queue is None:
            return replace(state, asked=(), done=True)
        since = (context.now - timedelta(days=SYNCED_DAYS)).date().isoformat()
        found = context.queue.unpaid(context.connector_id, since, PER_REQUEST, state.after)
        if not found:
            return replace(state, asked=(), done=True)
        return replace(
            state,
            after=found[-1][0],
            asked=tuple((txn_id, str(transfer_id)) for _, transfer_id, txn_id in found),
        )


def _paid_on(ret: Any) -> str | None:
    """The date of the last payment or credit of a fully paid invoice, else None."""
    if (ret.findtext("IsPaid") or "").lower() != "true":
        return None
    dates = [
        linked.findtext("TxnDate") or ""
        for linked in ret.findall("LinkedTxn")
        if linked.findtext("TxnType") in PAYMENTS
    ]
    dates = [d for d in dates if d]
    return max(dates) if dates else None

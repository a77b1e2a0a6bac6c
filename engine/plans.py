"""What every transfer type decides for one transfer: the QuickBooks request it becomes (its
plan), the list records that must exist first, and the two ways a document may not go
(it cannot, or it is skipped on purpose). The types (`engine.invoices`, `engine.timesheets`,
`engine.expenses`, `engine.purchase_orders`) make plans; the transfer step only moves them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class CannotTransfer(ValueError):
    """The document cannot become a QuickBooks transaction as it is; the message says why in
    an accountant's words."""


class Skipped(CannotTransfer):
    """The document (or these hours) is not to go to QuickBooks at all, on purpose: the
    history says so, and nothing is retried until what it was decided from changes."""


class Waiting(Exception):
    """The transfer needs another one in QuickBooks first (a receipt, its purchase order):
    it stays queued, untouched, and is looked at again later in the session or the next."""


class Gone(CannotTransfer):
    """What the transfer was for is no longer in the document (a re-import dropped it): the
    transfer is taken off the queue."""


@dataclass(frozen=True)
class Dependency:
    """A list record the transaction refers to and that may have to be created first."""

    list_name: str  # "customers", "items", "vendors" or "accounts"
    full_name: str
    request: str  # the add request that creates it
    body: dict[str, Any]  # the add's body (without its parent, which the step fills in)
    email: str = ""  # a customer's e-mail address as created
    # A record of this name that QuickBooks already has but of another type blocks it:
    # (record type as the lists read model names it, e.g. "ItemInventory") or () for any.
    record_types: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.list_name}:{self.full_name.casefold()}"

    @property
    def parent(self) -> str | None:
        if self.list_name not in ("customers", "items"):
            return None  # vendors and accounts here are never made under a parent
        return self.full_name.rsplit(":", 1)[0] if ":" in self.full_name else None


@dataclass(frozen=True)
class Plan:
    """One QuickBooks request a transfer becomes: `<txn><action>Rq` with `body` (its
    references by full name), what it needs first, and where a lost answer is looked for
    (the transactions of `entity` from `txn_date` to `last_date`)."""

    txn: str  # "Invoice", "TimeTracking", "Bill", "PurchaseOrder", "ItemReceipt"
    body: dict[str, Any]
    entity: str  # the customer, employee or vendor the transaction is filed under
    txn_date: str
    needs: list[Dependency] = field(default_factory=list)
    to_be_emailed: bool = False  # an invoice to e-mail needs its customer's address
    action: str = "add"  # "mod": the body changes the transaction `fetch`
    last_date: str = ""  # "" means txn_date
    # The TxnID of a transaction the request needs as QuickBooks holds it now (its
    # EditSequence, its lines' TxnLineIDs): read first, then `finish` completes the body.
    fetch: str = ""
    fetch_txn: str = "PurchaseOrder"
    finish: Callable[[dict[str, Any], Fetched], dict[str, Any]] | None = None

    @property
    def request(self) -> str:
        return f"{self.txn}{self.action.capitalize()}Rq"


@dataclass(frozen=True)
class Fetched:
    """A transaction as QuickBooks holds it now: its EditSequence and its lines
    (TxnLineID, item full name, quantity, quantity received)."""

    txn_id: str
    edit_sequence: str  # "": it could not be read (`problem` says why)
    lines: tuple[tuple[str, str, str, str], ...] = ()
    problem: str = ""


Records = Callable[[str, str], dict[str, Any] | None]  # (kind, psa_id) -> the record's data
# A lookup in the connector's QuickBooks lists by full name: (list, name) -> the record or None.
Find = Callable[[str, str], dict[str, Any] | None]


def unique(needs: list[Dependency]) -> list[Dependency]:
    """The dependencies once each, in order (parents stay before children)."""
    seen: dict[str, Dependency] = {}
    for need in needs:
        seen.setdefault(need.key, need)
    return list(seen.values())

"""Which steps a session runs, in what order: every list (open question 3's order: accounts
first, ship methods last), then a deletion sync when one is due, then the transfers the
connector has switched on (invoices need the customers and items the list syncs brought).
Later kinds of work (paid dates, the other transfer types, inventory) are registered here."""

from __future__ import annotations

from typing import Any

from engine.aggregates import WebConnector
from engine.aggregates.quickbooks_lists import LIST_NAMES, QuickBooksLists
from engine.expenses import ExpenseReportType
from engine.invoices import InvoiceType
from engine.kinds import TransferKind
from engine.purchase_orders import PurchaseOrderType
from engine.steps.base import Step, StepState
from engine.steps.batch import TransferPass
from engine.steps.deletions import DELETIONS, DeletionPass, DeletionSync
from engine.steps.inventory import INVENTORY_SYNC, InventoryPass, InventorySyncStep
from engine.steps.lists import ListPass, ListSync
from engine.steps.paid_dates import PAID_DATES, PaidDates, PaidPass
from engine.steps.transfers import TransferStep
from engine.timesheets import TimesheetType

TRANSFERS = {
    TransferKind.INVOICES: TransferStep(InvoiceType()),
    TransferKind.TIMESHEETS: TransferStep(TimesheetType()),
    TransferKind.EXPENSE_REPORTS: TransferStep(ExpenseReportType()),
    TransferKind.PURCHASE_ORDERS: TransferStep(PurchaseOrderType()),
}
STEPS: dict[str, Step[Any]] = {
    **{name: ListSync(name) for name in LIST_NAMES},
    DELETIONS: DeletionSync(),
    PAID_DATES: PaidDates(),
    **{str(kind): transfer for kind, transfer in TRANSFERS.items()},
    INVENTORY_SYNC: InventorySyncStep(),
}
# Every kind of step state, to read a session's events back.
STATE_KINDS: dict[str, type[StepState]] = {
    cls.KIND: cls for cls in (ListPass, DeletionPass, PaidPass, TransferPass, InventoryPass)
}


def plan(lists: QuickBooksLists, connector: WebConnector | None = None) -> list[str]:
    """The steps of a session: every list (incrementally once synced), deletions when due,
    then the transfers the connector has switched on."""
    steps = list(LIST_NAMES) + ([DELETIONS] if lists.deletions_due else [])
    if connector is not None:
        if connector.transfers.get(TransferKind.INVOICES):
            steps.append(PAID_DATES)  # "Transfer Invoices and Sync Paid Date"
        steps += [str(kind) for kind in TRANSFERS if connector.transfers.get(kind)]
        if connector.sync_inventory_requested and connector.transfers.get(
            TransferKind.PURCHASE_ORDERS
        ):
            steps.append(INVENTORY_SYNC)  # after the orders: those needing a resync go first
    return steps


def step(name: str) -> Step[Any]:
    """The registered step called `name`."""
    return STEPS[name]

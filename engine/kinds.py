"""The words the engine, its read models and its adapters share: what can be transferred, where
a PSA document stands, and where a transfer stands. Each is a `StrEnum`, so its members are the
strings the events, the API and the read models have always held."""

from __future__ import annotations

from enum import StrEnum


class TransferKind(StrEnum):
    """A kind of PSA document a connector can transfer (one check box each)."""

    INVOICES = "invoices"
    TIMESHEETS = "timesheets"
    EXPENSE_REPORTS = "expense_reports"
    PURCHASE_ORDERS = "purchase_orders"


class DocumentStatus(StrEnum):
    """Where a PSA document stands for the transfer."""

    NOT_READY = "not_ready"  # imported, not yet marked Ready to Transfer
    READY = "ready"  # marked Ready to Transfer: the next session sends it
    WITHDRAWN = "withdrawn"  # taken back before it was transferred
    TRANSFERRED = "transferred"  # in QuickBooks (or marked so by hand)
    # Transferred, then deleted in QuickBooks (a deletion sync saw it): never sent again by
    # itself; `mark-not-transferred` sends it again.
    DELETED_IN_QUICKBOOKS = "deleted_in_quickbooks"


class TransferStatus(StrEnum):
    """Where one document's transfer through one connector stands (product-spec §6-7)."""

    QUEUED = "queued"  # waiting for the next session
    SENT = "sent"  # in a message QBWC has taken; no answer yet
    SUCCEEDED = "succeeded"  # QuickBooks answered with its TxnID
    FAILED = "failed"  # QuickBooks refused it; the status code says why
    IN_DOUBT = "in_doubt"  # the answer was lost: verify before sending again
    VERIFIED = "verified"  # found in QuickBooks after a lost answer
    REQUEUED = "requeued"  # an admin or a change sent it back to the queue
    MARKED_TRANSFERRED = "marked_transferred"  # by hand, with a QuickBooks reference
    MARKED_NOT_TRANSFERRED = "marked_not_transferred"  # by hand; may make a duplicate
    WITHDRAWN = "withdrawn"  # off the queue: the document was withdrawn or its type switched off
    SKIPPED = "skipped"  # not for QuickBooks as it is (a zero total, hours not transferred)
    DELETED_IN_QUICKBOOKS = "deleted_in_quickbooks"  # it was there; someone deleted it there

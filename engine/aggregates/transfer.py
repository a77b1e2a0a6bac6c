"""A document's way into QuickBooks through one connector: queued, sent, and what QuickBooks
said, attempt after attempt, until it is there exactly once.

A transfer that was sent and whose answer never came is in doubt: QuickBooks may hold it. It is
never sent again before a query has looked for it by the `ExternalGUID` every add carries,
which is derived from the transfer's id and its generation (a generation ends only when a
person says the document is not in QuickBooks after all).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from engine.errors import Conflict
from engine.kinds import TransferStatus

# A transient failure (a lock, a lost answer) is retried by every session up to this many
# attempts; then a person requeues it (open question 7).
MAX_AUTOMATIC_ATTEMPTS = 10
# Waiting in the queue: sent at the next session.
PENDING = frozenset(
    {TransferStatus.QUEUED, TransferStatus.REQUEUED, TransferStatus.MARKED_NOT_TRANSFERRED}
)
# Sent, and QuickBooks' answer was never recorded: look before sending again.
UNSURE = frozenset({TransferStatus.SENT, TransferStatus.IN_DOUBT})
# In QuickBooks.
DONE = frozenset(
    {TransferStatus.SUCCEEDED, TransferStatus.VERIFIED, TransferStatus.MARKED_TRANSFERRED}
)
# Not known to be in QuickBooks, and sent again only when a person says it is not there.
RESENDABLE = frozenset({TransferStatus.IN_DOUBT, TransferStatus.DELETED_IN_QUICKBOOKS})


def transfer_id(connector_id: UUID, kind: str, psa_id: str, part: str = "") -> UUID:
    """One transfer per document (or part of a document: a timesheet's day) and connector."""
    name = f"qbtransfer:/connectors/{connector_id}/transfers/{kind}/{psa_id}"
    return uuid5(NAMESPACE_URL, f"{name}/{part}" if part else name)


class Transfer(Aggregate):
    """One document's transfer through one connector."""

    part = ""  # what a snapshot taken before parts existed reads back
    action = "add"  # "mod" once its document changed after it reached QuickBooks

    # -- events ------------------------------------------------------------------------

    class Queued(Aggregate.Created):
        connector_id: UUID
        kind: str
        psa_id: str
        document_id: UUID
        number: str
        party: str
        amount: str
        reason: str
        at: datetime
        # Which part of the document ("" for all of it): a timesheet goes as one add per
        # day and customer, each its own transfer. Events written before parts read as "".
        part: str = ""

    class Requeued(Aggregate.Event):
        reason: str
        by: str
        at: datetime

    class Dequeued(Aggregate.Event):
        reason: str
        at: datetime

    class Sent(Aggregate.Event):
        session_id: UUID
        exchange_id: UUID
        request_id: str
        action: str
        attempt: int
        external_guid: str
        at: datetime

    class Succeeded(Aggregate.Event):
        txn_id: str
        ref_number: str | None
        edit_sequence: str | None
        txn_date: str | None
        exchange_id: UUID
        session_id: UUID | None
        at: datetime

    class Failed(Aggregate.Event):
        code: int | None
        message: str
        transient: bool
        inputs: dict[str, int]
        exchange_id: UUID | None
        session_id: UUID | None
        at: datetime

    class MarkedInDoubt(Aggregate.Event):
        reason: str
        at: datetime

    class Verified(Aggregate.Event):
        txn_id: str
        ref_number: str | None
        edit_sequence: str | None
        txn_date: str | None
        exchange_id: UUID
        session_id: UUID | None
        at: datetime

    class FoundMissing(Aggregate.Event):
        exchange_id: UUID
        session_id: UUID | None
        at: datetime

    class ModificationQueued(Aggregate.Event):
        reason: str
        at: datetime

    class Skipped(Aggregate.Event):
        reason: str
        inputs: dict[str, int]
        session_id: UUID | None
        at: datetime

    class DeletedInQuickBooks(Aggregate.Event):
        txn_id: str
        txn_type: str
        time_deleted: str
        session_id: UUID | None
        at: datetime

    class MarkedTransferred(Aggregate.Event):
        reference: str
        by: str
        at: datetime

    class MarkedNotTransferred(Aggregate.Event):
        warning: str
        by: str
        at: datetime

    @event(Queued)
    def __init__(
        self,
        connector_id: UUID,
        kind: str,
        psa_id: str,
        document_id: UUID,
        number: str,
        party: str,
        amount: str,
        reason: str,
        at: datetime,
        part: str = "",
    ) -> None:
        self.connector_id = connector_id
        self.kind = kind
        self.psa_id = psa_id
        self.part = part
        self.document_id = document_id
        self.number = number
        self.status = TransferStatus.QUEUED
        self.attempts = 0
        self.generation = 1
        self.sent_in: UUID | None = None  # the exchange of the last send
        self.sent_at: datetime | None = None
        self.request_id: str | None = None
        self.quickbooks: dict[str, Any] | None = None  # TxnID, RefNumber, EditSequence, date
        self.failure: dict[str, Any] | None = None  # the last failure
        self.doubt: str | None = None  # why it was last found in doubt
        self.updated_at = at

    @classmethod
    def create_id(
        cls, connector_id: UUID, kind: str, psa_id: str, part: str = "", **_: Any
    ) -> UUID:
        """One transfer per document (or part) and connector."""
        return transfer_id(connector_id, kind, psa_id, part)

    # -- questions ---------------------------------------------------------------------------

    @property
    def external_guid(self) -> str:
        """The key this generation's add carries, so a query can find it in QuickBooks."""
        guid = uuid5(self.id, f"generation-{self.generation}")
        return "{" + str(guid).upper() + "}"

    @property
    def is_pending(self) -> bool:
        """True when the next session should send it (after verification if it is unsure)."""
        if self.status in PENDING:
            return True
        return (
            self.status == TransferStatus.FAILED
            and bool(self.failure and self.failure["transient"])
            and self.attempts < MAX_AUTOMATIC_ATTEMPTS
        )

    @property
    def is_unsure(self) -> bool:
        """True when it was sent and QuickBooks' answer was never recorded."""
        return self.status in UNSURE

    @property
    def is_done(self) -> bool:
        return self.status in DONE

    def waits_for_a_change(self, inputs: dict[str, int]) -> bool:
        """True when it failed because of its data, or was skipped, and nothing it depends
        on has changed since (`inputs`: the versions of the document, mappings, connector
        and lists)."""
        if self.status not in (TransferStatus.FAILED, TransferStatus.SKIPPED):
            return False
        if not self.failure:
            return False
        if self.failure["transient"]:
            return self.attempts >= MAX_AUTOMATIC_ATTEMPTS
        return self.failure.get("inputs") == inputs

    # -- verbs -------------------------------------------------------------------------------

    def requeue(self, reason: str, by: str, at: datetime) -> None:
        """Send it again at the next session (after a failure, or a change)."""
        if self.is_done:
            raise Conflict(f"{self.kind} {self.psa_id} is already in QuickBooks")
        if self.is_unsure:
            raise Conflict(
                f"{self.kind} {self.psa_id} was sent and its answer is not known yet; the next "
                "session looks for it in QuickBooks before anything is sent again"
            )
        self._requeued(reason=reason, by=by, at=at)

    @event(Requeued)
    def _requeued(self, reason: str, by: str, at: datetime) -> None:
        self.status, self.updated_at = TransferStatus.REQUEUED, at
        self.attempts = 0 if by != "engine" else self.attempts

    @event(Dequeued)
    def dequeue(self, reason: str, at: datetime) -> None:
        """Not to be sent (the document was withdrawn, or its type switched off)."""
        self.status, self.updated_at = TransferStatus.WITHDRAWN, at

    @event(Sent)
    def send(
        self,
        session_id: UUID,
        exchange_id: UUID,
        request_id: str,
        action: str,
        attempt: int,
        external_guid: str,
        at: datetime,
    ) -> None:
        """Handed to QBWC in a message; its answer comes with receiveResponseXML."""
        self.status, self.sent_in, self.sent_at = TransferStatus.SENT, exchange_id, at
        self.request_id, self.attempts, self.updated_at = request_id, attempt, at

    @event(Succeeded)
    def succeed(
        self,
        txn_id: str,
        ref_number: str | None,
        edit_sequence: str | None,
        txn_date: str | None,
        exchange_id: UUID,
        session_id: UUID | None,
        at: datetime,
    ) -> None:
        """QuickBooks added it."""
        self._in_quickbooks(
            TransferStatus.SUCCEEDED, txn_id, ref_number, edit_sequence, txn_date, at
        )

    @event(Failed)
    def fail(
        self,
        code: int | None,
        message: str,
        transient: bool,
        inputs: dict[str, int],
        exchange_id: UUID | None,
        session_id: UUID | None,
        at: datetime,
    ) -> None:
        """It could not be transferred: `transient` failures are retried by the next session,
        the others when something in `inputs` changes or a person requeues it."""
        self.status, self.updated_at = TransferStatus.FAILED, at
        self.failure = {
            "code": code,
            "message": message,
            "transient": transient,
            "inputs": inputs,
        }

    def queue_modification(self, reason: str, at: datetime) -> None:
        """Its document changed after it reached QuickBooks: the next session sends the
        change as a modification of the same transaction."""
        if not self.is_done or not (self.quickbooks or {}).get("txn_id"):
            raise Conflict(f"{self.kind} {self.psa_id} has no transaction in QuickBooks to modify")
        self._modification_queued(reason=reason, at=at)

    @event(ModificationQueued)
    def _modification_queued(self, reason: str, at: datetime) -> None:
        self.status, self.updated_at, self.action = TransferStatus.REQUEUED, at, "mod"
        self.attempts = 0

    @property
    def txn_id(self) -> str | None:
        """The QuickBooks TxnID it was given (kept while a modification is queued)."""
        return (self.quickbooks or {}).get("txn_id")

    @event(Skipped)
    def skip(
        self, reason: str, inputs: dict[str, int], session_id: UUID | None, at: datetime
    ) -> None:
        """Not for QuickBooks as it is, on purpose (`reason` says why, for the history): it
        waits, like a data failure, for something in `inputs` to change."""
        self.status, self.updated_at = TransferStatus.SKIPPED, at
        self.failure = {"code": None, "message": reason, "transient": False, "inputs": inputs}

    @event(MarkedInDoubt)
    def mark_in_doubt(self, reason: str, at: datetime) -> None:
        """The answer to its send was lost: QuickBooks may or may not hold it."""
        self.status, self.updated_at, self.doubt = TransferStatus.IN_DOUBT, at, reason

    @event(Verified)
    def verify_found(
        self,
        txn_id: str,
        ref_number: str | None,
        edit_sequence: str | None,
        txn_date: str | None,
        exchange_id: UUID,
        session_id: UUID | None,
        at: datetime,
    ) -> None:
        """A query found it in QuickBooks: it was added, only the answer was lost."""
        self._in_quickbooks(
            TransferStatus.VERIFIED, txn_id, ref_number, edit_sequence, txn_date, at
        )

    def _in_quickbooks(
        self,
        status: TransferStatus,
        txn_id: str,
        ref_number: str | None,
        edit_sequence: str | None,
        txn_date: str | None,
        at: datetime,
    ) -> None:
        self.status, self.updated_at, self.failure = status, at, None
        self.quickbooks = {
            "txn_id": txn_id,
            "ref_number": ref_number,
            "edit_sequence": edit_sequence,
            "txn_date": txn_date,
        }

    @event(FoundMissing)
    def verify_missing(self, exchange_id: UUID, session_id: UUID | None, at: datetime) -> None:
        """A query found no trace of it in QuickBooks: it is sent again."""
        self.status, self.updated_at = TransferStatus.QUEUED, at

    def record_deletion(
        self, txn_id: str, txn_type: str, time_deleted: str, session_id: UUID | None, at: datetime
    ) -> bool:
        """A deletion sync found its transaction among those deleted in QuickBooks: it is
        flagged, and not sent again unless a person says so (`mark_not_transferred`).
        Returns False when it does not hold that transaction (any more)."""
        if not self.is_done or self.txn_id != txn_id:
            return False
        self._deleted_in_quickbooks(
            txn_id=txn_id,
            txn_type=txn_type,
            time_deleted=time_deleted,
            session_id=session_id,
            at=at,
        )
        return True

    @event(DeletedInQuickBooks)
    def _deleted_in_quickbooks(
        self, txn_id: str, txn_type: str, time_deleted: str, session_id: UUID | None, at: datetime
    ) -> None:
        self.status, self.updated_at = TransferStatus.DELETED_IN_QUICKBOOKS, at
        self.quickbooks = {**(self.quickbooks or {}), "deleted": time_deleted}

    def mark_transferred(self, reference: str, by: str, at: datetime) -> None:
        """A person says it is in QuickBooks already (never sent again)."""
        if self.is_done:
            raise Conflict(f"{self.kind} {self.psa_id} is already marked transferred")
        self._marked_transferred(reference=reference, by=by, at=at)

    @event(MarkedTransferred)
    def _marked_transferred(self, reference: str, by: str, at: datetime) -> None:
        self.status, self.updated_at = TransferStatus.MARKED_TRANSFERRED, at
        self.quickbooks = {"reference": reference, "manual": True}

    def mark_not_transferred(self, by: str, at: datetime) -> str:
        """A person says it is not in QuickBooks (it was transferred, or it is in doubt and
        they looked): it is queued again, with a new key. Returns the warning they are shown."""
        if not self.is_done and self.status not in RESENDABLE:
            raise Conflict(f"{self.kind} {self.psa_id} is neither transferred nor in doubt")
        warning = (
            f"{self.kind} {self.psa_id} goes to QuickBooks again at the next session; if "
            "QuickBooks still holds it, this makes a duplicate"
        )
        self._marked_not_transferred(warning=warning, by=by, at=at)
        return warning

    @event(MarkedNotTransferred)
    def _marked_not_transferred(self, warning: str, by: str, at: datetime) -> None:
        self.status, self.updated_at = TransferStatus.MARKED_NOT_TRANSFERRED, at
        self.generation += 1
        self.quickbooks, self.attempts = None, 0

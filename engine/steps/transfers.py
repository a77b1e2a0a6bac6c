"""A transfer step: one kind of document into QuickBooks, exactly once, in batches.

Each batch of queued transfers goes through, as needed:
- verify: a transfer sent earlier whose answer never came is looked for in QuickBooks (by its
  ExternalGUID, among the transactions of its customer and date) before anything is resent;
- query: the customers and items the batch needs and the lists read model does not know are
  asked of QuickBooks by name;
- create: those QuickBooks lacks are added, parents first;
- send: the adds, many per message (`continueOnError`), each with a requestID that names its
  transfer and an ExternalGUID derived from it. The transfers are marked sent in the same save
  as the message, so a crash at any point leaves them sent, hence verified before a resend.
A dependency that cannot be created fails its dependents with a message naming it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any
from uuid import UUID

from lxml import etree

from engine.aggregates import transfer as transfers
from engine.aggregates.transfer import Transfer
from engine.kinds import TransferStatus
from engine.plans import CannotTransfer, Dependency, Gone, Plan, Skipped, Waiting
from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response
from engine.steps import dependencies, fetching
from engine.steps.base import Outcome, Request, StepContext
from engine.steps.batch import Batch, TransferPass, TransferType
from engine.steps.verification import (
    KEPT_FIELDS,
    VERIFY_MAX,
    Unsettled,
    holding,
    verification_query,
)

# Adds per message: a message of 50 invoices is about 75 KB, its answer (trimmed to the fields
# kept) about 15 KB, and QuickBooks applies it in seconds; far below QBWC's 10 MB and any
# timeout, while 10,000 invoices still take only 200 messages.
BATCH_SIZE = 50
ANSWER_PER_REQUEST = 4 * 1024
SESSIONS_REMEMBERED = 16
_SETTLED = (TransferStatus.WITHDRAWN, TransferStatus.FAILED, TransferStatus.SKIPPED)


class TransferStep:
    """One kind of document's transfers (the registry makes one per kind)."""

    def __init__(self, transfer_type: TransferType) -> None:
        self.type = transfer_type
        self.name = transfer_type.kind
        # Per session, what QuickBooks said it has (dependency key -> e-mail address), so
        # the batches after the first do not ask again for what this session found or made.
        # Memory only: a process that did not see it asks QuickBooks again, or works it out.
        # Likewise each transfer's plan, per version of what it is made from.
        self._sessions: OrderedDict[UUID | None, dict[str, dict[Any, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def _memory(self, context: StepContext) -> dict[str, dict[Any, Any]]:
        with self._lock:
            memory = self._sessions.setdefault(context.session_id, {})
            self._sessions.move_to_end(context.session_id)
            while len(self._sessions) > SESSIONS_REMEMBERED:
                self._sessions.popitem(last=False)
            return memory

    def _seen(self, context: StepContext) -> dict[str, str]:
        return self._memory(context).setdefault("seen", {})

    # -- the Step protocol -----------------------------------------------------------------------

    def start(self, context: StepContext) -> TransferPass:
        """The connector's open transfers of this kind, the longest waiting first."""
        planned = context.count_open_transfers(self.name)
        return self._advance(TransferPass(planned=planned, phase="next"), context)

    def due(self, state: TransferPass, context: StepContext) -> bool:
        """A batch is in hand with something of it to verify, ask for, create or send."""
        if state.phase == "done":
            return False
        return bool(self._items(state, self._load(state, context), context))

    def request(self, state: TransferPass, context: StepContext, request_id: str) -> Request:
        """The batch's next requests (none once every transfer is handled)."""
        if state.phase == "done":
            return Request((), 0)
        work = self._load(state, context)
        items = self._items(state, work, context)
        if state.phase == "verify":
            elements = [
                verification_query(work.plans[t], f"{request_id}.v{i}", context)
                for i, t in enumerate(items)
            ]
            return Request(tuple(elements), len(elements) * VERIFY_MAX * ANSWER_PER_REQUEST)
        if state.phase == "query":
            elements = dependencies.queries(items, request_id, context)
            return Request(tuple(elements), len(items) * ANSWER_PER_REQUEST)
        if state.phase == "fetch":
            return Request(
                tuple(
                    fetching.query(t, f"{request_id}.f{i}", context) for i, t in enumerate(items)
                ),
                len(items) * ANSWER_PER_REQUEST,
            )
        if state.phase == "create":
            elements = [
                dependencies.creation(need, f"{request_id}.c{i}", context)
                for i, need in enumerate(items)
            ]
        else:
            elements = [
                self._add(state, work, t, f"{request_id}.t{i}", context)
                for i, t in enumerate(items)
            ]
        return Request(tuple(elements), len(elements) * ANSWER_PER_REQUEST)

    def _items(self, state: TransferPass, work: Batch, context: StepContext) -> list[Any]:
        """What the phase's requests are made of: transfers to verify or send, or the
        dependencies to ask for or create."""
        if state.phase == "verify":
            return work.unsure
        if state.phase in ("query", "create"):
            return self._unknown(state, work, context)
        if state.phase == "fetch":
            return self._to_fetch(state, work)
        return self._sendable(state, work)

    def sent(self, state: TransferPass, request: Request, context: StepContext) -> TransferPass:
        """The message is on its way: the adds' transfers are marked sent with it."""
        if state.phase != "send":
            return state
        work = self._load(state, context)
        sendable = self._sendable(state, work)
        for transfer_id, element in zip(sendable, request.elements, strict=True):
            transfer = work.transfers[transfer_id]
            assert context.exchange_id is not None and context.session_id is not None
            transfer.send(
                context.session_id,
                context.exchange_id,
                str(element.get("requestID")),
                work.plans[transfer_id].action,
                transfer.attempts + 1,
                transfer.external_guid,
                context.now,
            )
        return replace(state, asked=tuple(sendable))

    def absorb(
        self, state: TransferPass, responses: list[Response | None], context: StepContext
    ) -> Outcome[TransferPass]:
        """Record what QuickBooks said, then move on to the next phase or batch."""
        work = self._load(state, context)
        if state.phase == "verify":
            for transfer_id, response in zip(work.unsure, responses, strict=False):
                if not self._verified(work, transfer_id, response, context):
                    # QuickBooks could not say: leave it for the next session, unsent.
                    state = replace(
                        state,
                        batch=tuple(t for t in state.batch if t != transfer_id),
                        done=state.done + 1,
                    )
        elif state.phase == "query":
            found, clashes = dependencies.found(responses, self._unknown(state, work, context))
            self._seen(context).update(found)
            state = replace(
                state,
                known={**state.known, **found},
                failed={**state.failed, **clashes},
                queried=True,
            )
        elif state.phase == "create":
            known, failed, queried, rechecked = dependencies.created(
                state, self._unknown(state, work, context), responses
            )
            state = replace(state, known=known, failed=failed, queried=queried, rechecked=rechecked)
            self._seen(context).update(state.known)
        elif state.phase == "fetch":
            state = replace(
                state,
                fetched={**state.fetched, **fetching.read(self._to_fetch(state, work), responses)},
            )
        else:
            again = []
            for transfer_id, response in zip(state.asked, responses, strict=True):
                if self._answered(work.transfers[transfer_id], response, context, state):
                    again.append(transfer_id)
            # A stale EditSequence (3200) is read again and the change resent, once per pass.
            stale = {work.plans[t].fetch for t in again if t in work.plans}
            state = replace(
                state,
                batch=tuple(again),
                done=state.done + len(state.batch) - len(again),
                again=(*state.again, *again),
                fetched={k: v for k, v in state.fetched.items() if k not in stale},
            )
        state = self._advance(replace(state, asked=()), context)
        finished = state.phase == "done"
        return Outcome(state, finished=finished, recorded=state.planned if finished else None)

    def interrupted(self, state: TransferPass, context: StepContext) -> TransferPass:
        """No answer: sent adds may be in QuickBooks, so they are verified; a query or a
        creation is asked again from the query (what was created is found by name)."""
        if state.phase == "send":
            work = self._load(state, context)
            for transfer_id in state.asked:
                work.transfers[transfer_id].mark_in_doubt(
                    "QuickBooks did not answer the message that carried it", context.now
                )
            return self._advance(replace(state, asked=()), context)
        return self._advance(replace(state, queried=False), context)

    def abandoned(self, state: TransferPass, context: StepContext) -> None:
        """The session ended (expired, or QBWC started over) with this step's message
        unanswered: the adds it carried are in doubt, for the next session to look for."""
        if state.phase != "send":
            return
        for transfer_id in state.asked:
            transfer = context.load_transfer(UUID(transfer_id))
            if transfer is not None and transfer.status == TransferStatus.SENT:
                transfer.mark_in_doubt(
                    "the session ended before QuickBooks' answer to it came", context.now
                )

    def progress(self, state: TransferPass) -> float:
        """Transfers handled of transfers planned."""
        return state.done / state.planned if state.planned else 0.0

    # -- batches ---------------------------------------------------------------------------------

    def _advance(self, state: TransferPass, context: StepContext) -> TransferPass:
        """The state ready for its next request: the next phase of this batch, or the next
        batch (taking only what is to be sent), or done."""
        while True:
            if not state.batch:
                if state.exhausted and state.deferred:
                    state = replace(
                        state,
                        batch=state.deferred,
                        deferred=(),
                        again=(*state.again, *state.deferred),
                        done=state.done - len(state.deferred),
                    )
                    continue
                if state.exhausted:
                    return replace(state, phase="done", known={}, failed={})
                state = self._take(state, context)
                continue
            work = self._load(state, context)
            waiting = [t for t in work.waiting if t not in state.again and t not in state.deferred]
            if waiting:
                state = replace(state, deferred=(*state.deferred, *waiting))
            if work.unsure:
                return replace(state, phase="verify")
            if not work.ready:
                state = replace(state, batch=(), done=state.done + len(state.batch))
                continue
            found, unknown = self._lookup(state, work, context)
            state = replace(state, known={**state.known, **found})
            if unknown:
                return replace(state, phase="create" if state.queried else "query")
            blocked = self._fail_blocked(state, work, context)
            if len(blocked) < len(work.ready):
                return replace(state, phase="fetch" if self._to_fetch(state, work) else "send")
            state = replace(state, batch=(), done=state.done + len(state.batch))

    def _take(self, state: TransferPass, context: StepContext) -> TransferPass:
        """The next batch: transfers still to act on (done ones and those waiting for a
        change are counted and skipped; a document that cannot be transferred fails)."""
        batch: list[str] = []
        done, after = state.done, state.after
        # Taken by position in the queue, not by status: what this session already handled
        # lies behind the cursor whatever the read model has applied of it.
        found = context.open_transfers(self.name, BATCH_SIZE, after)
        for position, transfer_uuid in found:
            after, transfer_id = position, str(transfer_uuid)
            transfer = context.load_transfer(transfer_uuid)
            if transfer is None or not (
                transfer.is_pending or transfer.is_unsure or self._changed(transfer, context)
            ):
                done += 1
                continue
            if transfer.status in (TransferStatus.FAILED, TransferStatus.SKIPPED):
                transfer.requeue(
                    "its document, mappings, settings or QuickBooks lists changed",
                    "engine",
                    context.now,
                )
            batch.append(transfer_id)
        return replace(
            state,
            after=after,
            exhausted=len(found) < BATCH_SIZE,
            batch=tuple(batch),
            done=done,
            known={},
            failed={},
            queried=False,
        )

    def _changed(self, transfer: Transfer, context: StepContext) -> bool:
        """A failed or skipped transfer that may now go."""
        if transfer.status not in (TransferStatus.FAILED, TransferStatus.SKIPPED):
            return False
        return not transfer.waits_for_a_change(context.inputs(transfer.document_id))

    def _load(self, state: TransferPass, context: StepContext) -> Batch:
        transfers: dict[str, Transfer] = {}
        plans: dict[str, Plan] = {}
        unsure: list[str] = []
        ready: list[str] = []
        waiting: list[str] = []
        settings = (context.mapping().version, context.connector().version)
        for transfer_id in state.batch:
            transfer = context.load_transfer(UUID(transfer_id))
            if transfer is None or transfer.is_done or transfer.status in _SETTLED:
                continue
            try:
                plan = self._plan(transfer, settings, context)
            except Waiting:
                waiting.append(transfer_id)
                continue
            except Gone as exc:
                transfer.dequeue(str(exc), context.now)
                continue
            except CannotTransfer as exc:
                inputs = context.inputs(transfer.document_id)
                if isinstance(exc, Skipped):
                    transfer.skip(str(exc), inputs, context.session_id, context.now)
                else:
                    transfer.fail(
                        None, str(exc), False, inputs, None, context.session_id, context.now
                    )
                continue
            transfers[transfer_id], plans[transfer_id] = transfer, plan
            # A modification sets what the PSA holds: applied twice is applied once, so one
            # whose answer was lost is read again and resent rather than looked for.
            in_doubt = transfer.is_unsure and plan.action == "add"
            (unsure if in_doubt else ready).append(transfer_id)
        return Batch(transfers, plans, unsure, ready, waiting)

    def _plan(self, transfer: Transfer, settings: tuple[int, int], context: StepContext) -> Plan:
        """The transfer's plan, worked out once per session and version of its document, its
        organization or resource, and the `settings` (the mappings' and the connector's
        versions); the other PSA records it names (billing codes) are read as the session found
        them."""
        document = context.load_document(transfer.document_id)
        key = ("plan", transfer.id, document.version, context.party_version(document), *settings)
        plans = self._memory(context).setdefault("plans", {})
        if key not in plans:
            try:
                plans[key] = self.type.plan(transfer, document, context)
            except CannotTransfer as exc:
                plans[key] = exc
        plan = plans[key]
        if isinstance(plan, CannotTransfer):
            raise plan
        return plan

    def _to_fetch(self, state: TransferPass, work: Batch) -> list[str]:
        """The TxnIDs the batch's sendable requests need read from QuickBooks first."""
        wanted = {work.plans[t].fetch: None for t in self._sendable(state, work)}
        return [txn for txn in wanted if txn and txn not in state.fetched]

    # -- the adds --------------------------------------------------------------------------------

    def _lookup(
        self, state: TransferPass, work: Batch, context: StepContext
    ) -> tuple[dict[str, str], list[Dependency]]:
        plans = [work.plans[t] for t in work.ready]
        return dependencies.lookup(state, plans, self._seen(context), context)

    def _unknown(self, state: TransferPass, work: Batch, context: StepContext) -> list[Dependency]:
        return self._lookup(state, work, context)[1]

    def _sendable(self, state: TransferPass, work: Batch) -> list[str]:
        return [t for t in work.ready if not self._blocked(state, work.plans[t])]

    def _blocked(self, state: TransferPass, plan: Plan) -> str | None:
        reason = dependencies.blocked(state, plan)
        fetched = state.fetched.get(plan.fetch) if plan.fetch else None
        if reason is None and fetched is not None and not fetched.edit_sequence:
            reason = fetched.problem
        return reason

    def _fail_blocked(self, state: TransferPass, work: Batch, context: StepContext) -> list[str]:
        """Fail the batch's transfers a dependency or a missing e-mail address stops (they
        are retried when something they depend on changes)."""
        blocked = []
        for transfer_id in work.ready:
            reason = self._blocked(state, work.plans[transfer_id])
            if reason is not None:
                transfer = work.transfers[transfer_id]
                transfer.fail(
                    None,
                    f"{self.type.label} {transfer.number}: {reason}",
                    False,
                    context.inputs(transfer.document_id),
                    None,
                    context.session_id,
                    context.now,
                )
                blocked.append(transfer_id)
        return blocked

    def _add(
        self,
        state: TransferPass,
        work: Batch,
        transfer_id: str,
        request_id: str,
        context: StepContext,
    ) -> etree._Element:
        transfer, plan = work.transfers[transfer_id], work.plans[transfer_id]
        body = dict(plan.body)
        if plan.finish is not None:
            body = plan.finish(body, state.fetched[plan.fetch])
        if plan.action == "add":
            body["ExternalGUID"] = transfer.external_guid
        return build_request(
            plan.request,
            body,
            request_id=request_id,
            version=context.qbxml_version,
            include=KEPT_FIELDS,
        )

    def _answered(
        self,
        transfer: Transfer,
        response: Response | None,
        context: StepContext,
        state: TransferPass,
    ) -> bool:
        """Record QuickBooks' answer to one request; True when it is to be read again and
        resent in this pass (a stale EditSequence, the first time)."""
        assert context.exchange_id is not None
        if response is None:
            transfer.mark_in_doubt("QuickBooks' answer to it was missing", context.now)
            return False
        if response.status.decision in (status.OK, status.WARNING) and response.rets:
            self._succeeded(transfer, response.rets[0], context, verified=False)
            return False
        requery = response.status.decision == status.REQUERY
        transient = response.status.decision == status.RETRY_LATER or requery
        transfer.fail(
            response.status.code,
            response.status.message,
            transient,
            context.inputs(transfer.document_id),
            context.exchange_id,
            context.session_id,
            context.now,
        )
        if requery and str(transfer.id) not in state.again:
            transfer.requeue(
                "QuickBooks held a newer edit sequence: read again", "engine", context.now
            )
            return True
        return False

    def _succeeded(
        self, transfer: Transfer, ret: etree._Element, context: StepContext, *, verified: bool
    ) -> None:
        assert context.exchange_id is not None
        fields = (
            ret.findtext("TxnID") or "",
            ret.findtext("RefNumber"),
            ret.findtext("EditSequence"),
            ret.findtext("TxnDate"),
        )
        if verified:
            transfer.verify_found(*fields, context.exchange_id, context.session_id, context.now)
        else:
            transfer.succeed(*fields, context.exchange_id, context.session_id, context.now)
        self._write_back(transfer, context)

    def _write_back(self, transfer: Transfer, context: StepContext) -> None:
        """The document learns its QuickBooks reference once every part of it is there
        (or skipped): an invoice at once, a timesheet with its last day."""
        document = context.load_document(transfer.document_id)
        parts = self.type.parts(document)
        siblings = [
            transfer
            if part == transfer.part
            else context.load_transfer(
                transfers.transfer_id(transfer.connector_id, transfer.kind, transfer.psa_id, part)
            )
            for part in parts
        ]
        if not all(
            s is not None and (s.is_done or s.status == TransferStatus.SKIPPED) for s in siblings
        ):
            return
        done = [s.quickbooks or {} for s in siblings if s is not None and s.is_done]
        if parts == [""]:
            reference = {k: done[0].get(k) for k in ("txn_id", "ref_number", "txn_date")}
        else:
            reference = {
                "txn_ids": [qb.get("txn_id") for qb in done],
                "txn_date": max(str(qb.get("txn_date") or "") for qb in done),
            }
        context.written_back(transfer, reference)

    def _verified(
        self, work: Batch, transfer_id: str, response: Response | None, context: StepContext
    ) -> bool:
        """Settle a transfer in doubt from QuickBooks' answer; False when it does not settle
        it (then it stays in doubt, and says why)."""
        transfer = work.transfers[transfer_id]
        assert context.exchange_id is not None
        try:
            ret = holding(response, transfer.external_guid)
        except Unsettled as exc:
            if transfer.doubt != str(exc):
                transfer.mark_in_doubt(str(exc), context.now)
            return False
        if ret is None:
            transfer.verify_missing(context.exchange_id, context.session_id, context.now)
        else:
            self._succeeded(transfer, ret, context, verified=True)
        return True

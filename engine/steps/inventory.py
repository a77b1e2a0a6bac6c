"""The full inventory sync as a session step ("Sync Inventory during next QuickBooks-initiated
communication"), after the transfers, so orders that need a resync go first.

Only in single-user mode, known from the session's host answer: in multi-user mode the run
fails as a whole, the one-shot box clears anyway and Last Inventory Sync is not stamped (the
documented rule). Otherwise: missing items are asked for and created (`dependencies`), then
one InventoryAdjustmentAdd sets every item's quantity on hand. It carries an ExternalGUID; an
adjustment whose answer was lost is looked for among the adjustments since it was sent before
anything is sent again, so QuickBooks gets it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar
from uuid import uuid5

from engine import inventory
from engine.aggregates import WebConnector
from engine.inventory import InventoryPlan
from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response
from engine.readiness import INVENTORY_SYNC
from engine.steps import dependencies
from engine.steps.base import Outcome, Request, StepContext
from engine.steps.verification import KEPT_FIELDS, VERIFY_MAX, Unsettled, holding

# An adjustment line is under 200 bytes; its answer is trimmed to KEPT_FIELDS.
ANSWER_BOUND = 8 * 1024
MULTI_USER = (
    "QuickBooks has the company file open in multi-user mode, and an inventory sync needs "
    "single-user mode: switch QuickBooks to single-user mode (File > Switch to Single-user "
    "Mode) and ask for the sync again"
)


@dataclass(frozen=True)
class InventoryPass:
    """Where the sync stands: its phase, what QuickBooks was found to hold or could not
    create, and the key of the adjustment it sends."""

    KIND: ClassVar[str] = "inventory_pass"
    VERSION: ClassVar[int] = 1

    phase: str = "plan"  # verify, query, create, send, done
    known: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    queried: bool = False
    guid: str = ""
    since: str = ""  # the date the adjustment in doubt was sent
    rechecked: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The pass as JSON values."""
        return {
            "phase": self.phase,
            "known": dict(self.known),
            "failed": dict(self.failed),
            "queried": self.queried,
            "guid": self.guid,
            "since": self.since,
            "rechecked": list(self.rechecked),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int) -> InventoryPass:
        """Read back any version."""
        return cls(
            phase=data["phase"],
            known=dict(data["known"]),
            failed=dict(data["failed"]),
            queried=data["queried"],
            guid=data["guid"],
            since=data["since"],
            rechecked=tuple(data.get("rechecked", ())),
        )


class InventorySyncStep:
    """The inventory sync a connector asked for."""

    name = INVENTORY_SYNC

    def start(self, context: StepContext) -> InventoryPass:
        """Look for an adjustment in doubt first. (Building changes nothing: a sync refused
        for multi-user mode was refused when the session began.)"""
        sync = context.inventory_sync()
        if not _single_user(context) or not context.connector().sync_inventory_requested:
            return InventoryPass(phase="done")
        if sync.in_flight is not None:
            return InventoryPass(
                phase="verify", guid=sync.in_flight["external_guid"], since=sync.in_flight["on"]
            )
        guid = "{" + str(uuid5(sync.id, f"run-{len(sync.runs) + 1}")).upper() + "}"
        return self._advance(InventoryPass(guid=guid), context)

    def due(self, state: InventoryPass, context: StepContext) -> bool:
        """Something to ask, create or send."""
        return state.phase != "done"

    def request(self, state: InventoryPass, context: StepContext, request_id: str) -> Request:
        """The phase's requests."""
        if state.phase == "verify":
            query = build_request(
                "InventoryAdjustmentQueryRq",
                {
                    "MaxReturned": VERIFY_MAX,
                    "TxnDateRangeFilter": {
                        "FromTxnDate": state.since,
                        "ToTxnDate": _today(context),
                    },
                },
                request_id=request_id,
                version=context.qbxml_version,
                include=KEPT_FIELDS,
            )
            return Request.one(query, VERIFY_MAX * 1024)
        plan = self._plan(context)
        if state.phase == "query":
            unknown = self._unknown(state, plan, context)
            elements = dependencies.queries(unknown, request_id, context)
            return Request(tuple(elements), ANSWER_BOUND * max(1, len(unknown)))
        if state.phase == "create":
            unknown = self._unknown(state, plan, context)
            elements = [
                dependencies.creation(need, f"{request_id}.c{i}", context)
                for i, need in enumerate(unknown)
            ]
            return Request(tuple(elements), ANSWER_BOUND)
        if state.phase == "empty":  # nothing to set: QuickBooks only confirms the date
            return Request.one(_host_query(request_id, context), ANSWER_BOUND)
        if state.phase == "send":
            body = inventory.adjustment_body(self._lines(state, plan), _today(context), state.guid)
            return Request.one(
                build_request(
                    "InventoryAdjustmentAddRq",
                    body,
                    request_id=request_id,
                    version=context.qbxml_version,
                    include=KEPT_FIELDS,
                ),
                ANSWER_BOUND,
            )
        return Request((), 0)

    def sent(self, state: InventoryPass, request: Request, context: StepContext) -> InventoryPass:
        """The adjustment is on its way: recorded before QuickBooks can apply it."""
        if state.phase == "send":
            assert context.session_id is not None and context.exchange_id is not None
            context.inventory_sync().send(
                state.guid,
                context.session_id,
                context.exchange_id,
                len(self._lines(state, self._plan(context))),
                context.now,
                _today(context),
            )
        return state

    def absorb(
        self, state: InventoryPass, responses: list[Response | None], context: StepContext
    ) -> Outcome[InventoryPass]:
        """Record what QuickBooks said, and move on."""
        if state.phase == "verify":
            try:
                ret = holding(responses[0] if responses else None, state.guid)
            except Unsettled:
                return Outcome(replace(state, phase="done"), finished=True)  # next session
            if ret is not None:
                plan = self._plan(context)
                self._finish(
                    context, "succeeded", "found in QuickBooks by its ExternalGUID: it was "
                    "applied once", ret.findtext("TxnID"), len(plan.lines), plan.skipped,
                )  # fmt: skip
                return Outcome(replace(state, phase="done"), finished=True)
            return self._next(self._advance(replace(state, phase="plan"), context))
        if state.phase == "query":
            plan = self._plan(context)
            found, clashes = dependencies.found(responses, self._unknown(state, plan, context))
            state = replace(
                state,
                known={**state.known, **found},
                failed={**state.failed, **clashes},
                queried=True,
            )
            return self._next(self._advance(state, context))
        if state.phase == "create":
            plan = self._plan(context)
            known, failed, queried, rechecked = dependencies.created(
                state, self._unknown(state, plan, context), responses
            )
            state = replace(state, known=known, failed=failed, queried=queried, rechecked=rechecked)
            return self._next(self._advance(state, context))
        response = responses[0] if responses else None
        if state.phase == "empty":
            message = "nothing to set: no item the PSA counts could be synced"
            plan = self._plan(context)
            self._finish(context, "succeeded", message, None, 0, self._skipped(state, plan))
            return Outcome(replace(state, phase="done"), finished=True)
        if response is None:
            return Outcome(replace(state, phase="done"), finished=True)  # verified next time
        plan = self._plan(context)
        lines, skipped = self._lines(state, plan), self._skipped(state, plan)
        if response.status.decision in (status.OK, status.WARNING) and response.rets:
            txn_id = response.rets[0].findtext("TxnID")
            message = f"{len(lines)} items set to the PSA's quantity on hand"
            self._finish(context, "succeeded", message, txn_id, len(lines), skipped)
        else:
            message = (
                f"QuickBooks refused the adjustment: {response.status.code} "
                f"{response.status.message}"
            )
            self._finish(context, "failed", message, None, 0, skipped)
        return Outcome(replace(state, phase="done"), finished=True)

    def interrupted(self, state: InventoryPass, context: StepContext) -> InventoryPass:
        """No answer: a sent adjustment is looked for next session; a query is asked again."""
        if state.phase in ("send", "verify"):
            return replace(state, phase="done")
        return self._advance(replace(state, queried=False), context)

    def progress(self, state: InventoryPass) -> float:
        """Done or not."""
        return 1.0 if state.phase == "done" else 0.5

    # -- the work ------------------------------------------------------------------------

    def _next(self, state: InventoryPass) -> Outcome[InventoryPass]:
        return Outcome(state, finished=state.phase == "done")

    def _plan(self, context: StepContext) -> InventoryPlan:
        return inventory.plan_inventory(
            context.psa_records("products"),
            context.psa_records("purchase_orders"),
            context.psa_data,
            context.mapping(),
            income_account=context.connector().income_account,
        )

    def _unknown(self, state: InventoryPass, plan: InventoryPlan, context: StepContext) -> list:
        wanted = plan.as_plan(_today(context))
        return dependencies.lookup(state, [wanted], {}, context)[1]

    def _advance(self, state: InventoryPass, context: StepContext) -> InventoryPass:
        plan = self._plan(context)
        found, unknown = dependencies.lookup(state, [plan.as_plan(_today(context))], {}, context)
        state = replace(state, known={**state.known, **found})
        if unknown:
            return replace(state, phase="create" if state.queried else "query")
        return replace(state, phase="send" if self._lines(state, plan) else "empty")

    def _blocked_items(self, state: InventoryPass, plan: InventoryPlan) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, reason in state.failed.items():
            for item in plan.needs_of.get(key, []):
                out.setdefault(item, reason)
        return out

    def _lines(self, state: InventoryPass, plan: InventoryPlan) -> list:
        blocked = self._blocked_items(state, plan)
        return [(item, quantity) for item, quantity in plan.lines if item not in blocked]

    def _skipped(self, state: InventoryPass, plan: InventoryPlan) -> list[dict[str, str]]:
        blocked = self._blocked_items(state, plan)
        return plan.skipped + [{"item": item, "reason": why} for item, why in blocked.items()]

    def _finish(
        self,
        context: StepContext,
        outcome: str,
        message: str,
        txn_id: str | None,
        adjusted: int,
        skipped: list[dict[str, str]],
    ) -> None:
        context.inventory_sync().finish(
            outcome, message, txn_id, adjusted, skipped, context.session_id, context.now
        )
        context.connector().clear_inventory_sync(outcome, context.now)


def refuse_inventory_sync(connector: WebConnector, context: StepContext) -> None:
    """At the session's start, from its host answer: a sync asked for while QuickBooks is in
    multi-user mode fails as a whole; its box clears, Last Inventory Sync stays as it was."""
    if connector.sync_inventory_requested and not _single_user(context):
        context.inventory_sync().finish(
            "failed", MULTI_USER, None, 0, [], context.session_id, context.now
        )
        connector.clear_inventory_sync("failed", context.now)


def _single_user(context: StepContext) -> bool:
    return context.file_mode.casefold() == "singleuser"


def _host_query(request_id: str, context: StepContext) -> Any:
    return build_request("HostQueryRq", {}, request_id=request_id, version=context.qbxml_version)


def _today(context: StepContext) -> str:
    return context.now.date().isoformat()

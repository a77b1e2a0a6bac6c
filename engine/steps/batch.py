"""A transfer step's state between calls (the pass through the queue and the batch in hand)
and what each kind of document provides it (its transfer type)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from engine.aggregates.psa import Document
from engine.aggregates.transfer import Transfer
from engine.plans import Fetched, Plan
from engine.steps.base import StepContext


class TransferType(Protocol):
    """What a kind of document becomes: its QuickBooks transaction and its dependencies."""

    kind: str
    label: str  # "invoice"

    def parts(self, document: Document) -> list[str]:
        """The parts a document goes as, each its own transfer ([""]: all of it at once)."""
        ...

    def plan(self, transfer: Transfer, document: Document, context: StepContext) -> Plan:
        """The request a transfer of `document` becomes and what it needs; CannotTransfer
        (or Skipped, or Gone) when it does not go."""
        ...


@dataclass(frozen=True)
class TransferPass:
    """Where a transfer step stands: the transfers still to take, the batch in hand and its
    phase, what QuickBooks was found to hold (`known`: dependency key -> e-mail address) or
    could not create (`failed`), and what the message in flight asked (`asked`)."""

    KIND: ClassVar[str] = "transfer_pass"
    VERSION: ClassVar[int] = 2  # 2: fetched, again

    after: str | None = None  # the queue position of the last transfer taken
    exhausted: bool = False  # the queue has nothing after `after`
    batch: tuple[str, ...] = ()
    phase: str = "done"  # verify, query, create, send, done
    known: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    queried: bool = False
    asked: tuple[str, ...] = ()
    planned: int = 0
    done: int = 0
    # Transactions read for a modification or a receipt: TxnID -> EditSequence and lines
    # ("" EditSequence: QuickBooks no longer holds it).
    fetched: dict[str, Fetched] = field(default_factory=dict)
    again: tuple[str, ...] = ()  # transfers given a second go in this pass (one each)
    # Transfers that waited for another (a receipt for its order): taken once more at the
    # end of the pass, when every order of the pass has been sent.
    deferred: tuple[str, ...] = ()
    rechecked: tuple[str, ...] = ()  # dependencies asked for again after a 3100 (once each)

    def to_json(self) -> dict[str, Any]:
        """The pass as JSON values."""
        return {
            "after": self.after,
            "exhausted": self.exhausted,
            "batch": list(self.batch),
            "phase": self.phase,
            "known": dict(self.known),
            "failed": dict(self.failed),
            "queried": self.queried,
            "asked": list(self.asked),
            "planned": self.planned,
            "done": self.done,
            "fetched": {
                k: [f.edit_sequence, [list(x) for x in f.lines], f.problem]
                for k, f in self.fetched.items()
            },
            "again": list(self.again),
            "deferred": list(self.deferred),
            "rechecked": list(self.rechecked),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int) -> TransferPass:
        """Read back any version."""
        return cls(
            after=data["after"],
            exhausted=data["exhausted"],
            batch=tuple(data["batch"]),
            phase=data["phase"],
            known=dict(data["known"]),
            failed=dict(data["failed"]),
            queried=data["queried"],
            asked=tuple(data["asked"]),
            planned=data["planned"],
            done=data["done"],
            fetched={
                k: Fetched(k, v[0], tuple(tuple(x) for x in v[1]), v[2])
                for k, v in data.get("fetched", {}).items()
            },
            again=tuple(data.get("again", ())),
            deferred=tuple(data.get("deferred", ())),
            rechecked=tuple(data.get("rechecked", ())),
        )


@dataclass
class Batch:
    """A batch's transfers still to act on, with their plans, as loaded for one call:
    `unsure` ones (sent, no answer) to verify, `ready` ones to send."""

    transfers: dict[str, Transfer]
    plans: dict[str, Plan]
    unsure: list[str]
    ready: list[str]
    waiting: list[str] = field(default_factory=list)

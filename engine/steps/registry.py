"""Which steps a session runs, in what order: every list (open question 3's order:
accounts first, ship methods last), then a deletion sync when one is due. Later kinds of work
(paid dates, the transfers by type, inventory) are registered here in their place."""

from __future__ import annotations

from typing import Any

from engine.aggregates.quickbooks_lists import LIST_NAMES, QuickBooksLists
from engine.steps.base import Step, StepState
from engine.steps.deletions import DELETIONS, DeletionPass, DeletionSync
from engine.steps.lists import ListPass, ListSync

STEPS: dict[str, Step[Any]] = {
    **{name: ListSync(name) for name in LIST_NAMES},
    DELETIONS: DeletionSync(),
}
# Every kind of step state, to read a session's events back.
STATE_KINDS: dict[str, type[StepState]] = {cls.KIND: cls for cls in (ListPass, DeletionPass)}


def plan(lists: QuickBooksLists) -> list[str]:
    """The steps of a session: every list (incrementally once synced), deletions when due."""
    return list(LIST_NAMES) + ([DELETIONS] if lists.deletions_due else [])


def step(name: str) -> Step[Any]:
    """The registered step called `name`."""
    return STEPS[name]

"""Planning an import: which records are new, changed, unchanged or refused, and the aggregates
that record it. Nothing here saves; the engine saves the whole plan in one transaction, or
nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from eventsourcing.domain import Aggregate

from engine.aggregates.psa import Document, PsaRecord, diff
from engine.errors import InvalidValue
from engine.kinds import DocumentStatus
from engine.psa import DECIMAL_FIELDS, KINDS, record_id
from engine.psa.validation import Problem, record_problems, schema_problems, text_problems

Loader = Callable[[str, str], PsaRecord | Document | None]


class ImportRefused(InvalidValue):
    """The file has problems and was not asked to continue on errors: nothing was imported."""

    def __init__(self, report: dict[str, Any]) -> None:
        count = len(report["errors"])
        super().__init__(
            f"the file has {count} error{'s' if count != 1 else ''}; nothing was "
            f"imported (first: {report['errors'][0]['record']} "
            f"{report['errors'][0]['field']}: {report['errors'][0]['message']})"
        )
        self.report = report


@dataclass
class ImportPlan:
    """What an import does, record by record."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    marked_ready: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)

    def count(self, kind: str, outcome: str) -> None:
        counts = self.counts.setdefault(
            kind, {"created": 0, "changed": 0, "unchanged": 0, "refused": 0}
        )
        counts[outcome] += 1

    def report(self, *, imported: bool, dry_run: bool) -> dict[str, Any]:
        return {
            "imported": imported,
            "dry_run": dry_run,
            "counts": self.counts,
            "errors": [p.as_dict() for p in self.problems],
            "changes": self.changes,
            "marked_ready": self.marked_ready,
            "changed_after_transfer": self.flagged,
        }


def canonical(value: Any, key: str = "") -> Any:
    """Decimal strings in one form ("1.50" -> "1.5"), so formatting alone never reads as a
    change."""
    if isinstance(value, dict):
        return {k: canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v, key) for v in value]
    if key in DECIMAL_FIELDS and isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        text = format(number.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return value


def plan_import(data: Any, load: Loader, now: datetime, *, by: str) -> ImportPlan:
    """Check `data` and work out every event the import records."""
    plan = ImportPlan()
    if not isinstance(data, dict):
        plan.problems.append(Problem("file", None, "", "the file must be a JSON object"))
        return plan
    plan.problems += text_problems(data)
    if any(p.kind == "file" and not p.field for p in plan.problems):
        return plan  # nested too deep: nothing more can be read from it
    plan.problems += schema_problems(data)
    refused: set[tuple[str | None, str | None]] = {
        (p.kind, p.psa_id) for p in plan.problems if p.psa_id is not None
    }
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in KINDS:
        for index, record in enumerate(data.get(kind) or []):
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            key = (kind, record["id"])
            if key in records:
                plan.problems.append(
                    Problem(
                        kind,
                        record["id"],
                        "id",
                        f"duplicate id in this file (again at position {index + 1})",
                    )
                )
                refused.add(key)
                continue
            records[key] = record
    _refuse_bad_references(plan, records, refused, load)
    for (kind, psa_id), record in records.items():
        if (kind, psa_id) in refused:
            plan.count(kind, "refused")
            continue
        _plan_record(plan, kind, psa_id, canonical(record), load(kind, psa_id), now, by)
    return plan


def _refuse_bad_references(
    plan: ImportPlan,
    records: dict[tuple[str, str], dict[str, Any]],
    refused: set[tuple[str | None, str | None]],
    load: Loader,
) -> None:
    """A reference must reach a record of this file that is not refused, or one an earlier
    import brought. Refusing a record can strand others, so repeat until nothing changes."""
    stored: dict[tuple[str, str], bool] = {}

    def known(kind: str, psa_id: str) -> bool:
        if (kind, psa_id) in records and (kind, psa_id) not in refused:
            return True
        if (kind, psa_id) not in stored:  # an earlier import's version still counts
            stored[(kind, psa_id)] = load(kind, psa_id) is not None
        return stored[(kind, psa_id)]

    reported: set[tuple[str, str, str]] = set()
    while True:
        newly = []
        for key, record in records.items():
            if key in refused:
                continue
            problems = record_problems(key[0], record, known)
            for problem in problems:
                if (problem.record, problem.field, problem.message) not in reported:
                    reported.add((problem.record, problem.field, problem.message))
                    plan.problems.append(problem)
            if problems:
                newly.append(key)
        if not newly:
            return
        refused.update(newly)


def _plan_record(
    plan: ImportPlan,
    kind: str,
    psa_id: str,
    record: dict[str, Any],
    existing: PsaRecord | Document | None,
    now: datetime,
    by: str,
) -> None:
    data = {k: v for k, v in record.items() if k not in ("id", "ready_to_transfer")}
    label = f"{kind}/{psa_id}"
    aggregate: PsaRecord | Document
    if existing is None:
        cls = Document if KINDS[kind].document else PsaRecord
        aggregate = cls(
            id=record_id(kind, psa_id), kind=kind, psa_id=psa_id, data=data, imported_at=now
        )
        plan.count(kind, "created")
    else:
        aggregate = existing
        changes = diff(existing.data, data)
        if changes:
            aggregate.change(data, changes, now)
            plan.count(kind, "changed")
            plan.changes.append({"record": label, "fields": changes})
            if isinstance(aggregate, Document) and aggregate.changed_after_transfer:
                plan.flagged.append(label)
        else:
            plan.count(kind, "unchanged")
    # The import queues documents that were never queued; withdrawn or transferred ones stay
    # as they are until a person says otherwise.
    if (
        isinstance(aggregate, Document)
        and record.get("ready_to_transfer")
        and (aggregate.status == DocumentStatus.NOT_READY)
    ):
        aggregate.mark_ready(by, now)
        plan.marked_ready.append(label)
    if aggregate.pending_events:
        plan.aggregates.append(aggregate)

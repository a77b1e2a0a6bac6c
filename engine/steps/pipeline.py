"""The pipeline: which requests the next message carries, which step each answer belongs to,
and where every step stands (`SessionWork`, kept in the session's events).

Steps run in the registry's order. A message carries the first unfinished step's next request
and, while their answers fit the budget together, the requests of the steps after it (the
small lists of a first handshake then take one round trip instead of one each). The steps of
one message are independent queries, so QuickBooks is told to answer each whatever the others
do (`continueOnError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from eventsourcing.persistence import Transcoding

from engine.qbxml.builder import build_message
from engine.qbxml.parser import Response, ResponseSet
from engine.steps.base import Request, StepContext, StepState
from engine.steps.registry import STATE_KINDS, step

# An answer of one message never weighs more than this, whatever the records hold (the
# arithmetic is in docs/performance.md), well inside the 10 MB a post may carry.
ANSWER_BUDGET_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SessionWork:
    """Where a session's steps stand, by their place in the session's plan: those finished,
    the state of those started, the problems to show the admin, what each step recorded, and
    how many times in a row QuickBooks could not process the message in flight."""

    VERSION: ClassVar[int] = 1

    finished: frozenset[int] = frozenset()
    active: Mapping[int, StepState] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    recorded: Mapping[str, int] = field(default_factory=dict)
    attempts: int = 0

    def is_done(self, steps: list[str]) -> bool:
        """True when every step of the plan has finished."""
        return len(self.finished) >= len(steps)

    def to_json(self) -> dict[str, Any]:
        """The work as JSON values, each step state tagged with its kind and version."""
        return {
            "v": self.VERSION,
            "finished": sorted(self.finished),
            "active": [
                [index, {"kind": s.KIND, "v": s.VERSION, **s.to_json()}]
                for index, s in sorted(self.active.items())
            ],
            "problems": list(self.problems),
            "recorded": dict(self.recorded),
            "attempts": self.attempts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionWork:
        """Read back any version. Version 0 is the untyped cursor sessions kept before the
        pipeline: the index of the current step, its pass's keys once it had started, the
        problems, the stats and the attempts."""
        if "v" not in data:
            index = data.get("step", 0)
            started = "from_modified" in data  # only list passes kept keys in the cursor
            return cls(
                finished=frozenset(range(index)),
                active={index: STATE_KINDS["list_pass"].from_json(dict(data), 0)}
                if started
                else {},
                problems=tuple(data.get("problems", [])),
                recorded=dict(data.get("stats", {})),
                attempts=data.get("attempts", 0),
            )
        return cls(
            finished=frozenset(data["finished"]),
            active={index: _state(state) for index, state in data["active"]},
            problems=tuple(data["problems"]),
            recorded=dict(data["recorded"]),
            attempts=data["attempts"],
        )


def _state(data: Mapping[str, Any]) -> StepState:
    fields = {k: v for k, v in data.items() if k not in ("kind", "v")}
    return STATE_KINDS[data["kind"]].from_json(fields, data["v"])


class SessionWorkTranscoding(Transcoding):
    """How the event store writes a session's work: its own versioned JSON."""

    type = SessionWork
    name = "session_work"

    def encode(self, obj: SessionWork) -> dict[str, Any]:
        return obj.to_json()

    def decode(self, data: dict[str, Any]) -> SessionWork:
        return SessionWork.from_json(data)


@dataclass(frozen=True)
class PlannedMessage:
    """A message ready for sendRequestXML, and the session's work once it is sent."""

    qbxml: str
    request_ids: list[str]
    purpose: str
    work: SessionWork


def next_message(
    steps: list[str], work: SessionWork, seq: int, context: StepContext
) -> PlannedMessage | None:
    """The next message, or None when every step has finished. The steps whose requests it
    carries are told they are sent (`Step.sent`)."""
    work = settle(steps, work, context)
    chosen: list[tuple[int, StepState, Request]] = []
    weight = 0
    for index, name in enumerate(steps):
        if index in work.finished:
            continue
        state = work.active.get(index) or step(name).start(context)
        request = step(name).request(state, context, f"{seq}.{name}")
        if not request.elements:
            continue  # nothing now; settled before the next message
        if chosen and weight + request.answer_bound > ANSWER_BUDGET_BYTES:
            break  # in order: a later step never overtakes one that did not fit
        chosen.append((index, state, request))
        weight += request.answer_bound
        if weight >= ANSWER_BUDGET_BYTES:
            break
    if not chosen:
        return None
    elements = [element for _, _, request in chosen for element in request.elements]
    qbxml = build_message(
        elements,
        version=context.qbxml_version,
        on_error="continueOnError" if len(elements) > 1 else "stopOnError",
    )
    active = dict(work.active)
    for index, state, request in chosen:
        active[index] = step(steps[index]).sent(state, request, context)
    return PlannedMessage(
        qbxml=qbxml,
        request_ids=[str(element.get("requestID")) for element in elements],
        purpose=", ".join(steps[index] for index, _, _ in chosen),
        work=replace(work, active=active),
    )


def settle(steps: list[str], work: SessionWork, context: StepContext) -> SessionWork:
    """Start the steps due next and finish those with nothing to send, up to the first that
    has something, so that the last answer of a session brings its progress to 100."""
    active, finished = dict(work.active), set(work.finished)
    for index, name in enumerate(steps):
        if index in finished:
            continue
        state = active.get(index) or step(name).start(context)
        if step(name).due(state, context):
            active[index] = state
            break
        active.pop(index, None)
        finished.add(index)
    return replace(work, active=active, finished=frozenset(finished))


def step_of(request_id: str) -> str:
    """The step a requestID belongs to ("12.customers", "12.invoices.3f2a...")."""
    return request_id.split(".")[1]


def absorb(
    steps: list[str],
    work: SessionWork,
    request_ids: list[str],
    responses: ResponseSet,
    context: StepContext,
) -> SessionWork:
    """Fold QuickBooks' answers to the message that carried `request_ids` into the steps;
    returns the session's new work."""
    by_id = {r.request_id: r for r in responses.responses}
    if len(request_ids) == 1 and len(responses.responses) == 1:
        by_id[request_ids[0]] = responses.responses[0]  # whatever requestID it echoes
    asked: dict[str, list[Response | None]] = {}
    for request_id in request_ids:
        asked.setdefault(step_of(request_id), []).append(by_id.get(request_id))
    active, finished = dict(work.active), set(work.finished)
    problems, recorded = list(work.problems), dict(work.recorded)
    for name, answers in asked.items():
        index = steps.index(name)
        state = active.get(index) or step(name).start(context)
        outcome = step(name).absorb(state, answers, context)
        if outcome.problem:
            problems.append(outcome.problem)
        if outcome.finished:
            active.pop(index, None)
            finished.add(index)
            if outcome.recorded is not None:
                recorded[name] = outcome.recorded
        else:
            active[index] = outcome.state
    return settle(
        steps,
        SessionWork(
            finished=frozenset(finished),
            active=active,
            problems=tuple(problems),
            recorded=recorded,
        ),
        context,
    )


def interrupted(
    steps: list[str], work: SessionWork, request_ids: list[str], context: StepContext
) -> SessionWork:
    """The message that carried `request_ids` got no answer (an HRESULT): each of its steps
    says where it goes on from, and the attempt is counted."""
    active = dict(work.active)
    for name in dict.fromkeys(step_of(request_id) for request_id in request_ids):
        index = steps.index(name)
        if index in active:
            active[index] = step(name).interrupted(active[index], context)
    return replace(work, active=active, attempts=work.attempts + 1)


def abandoned(steps: list[str], work: SessionWork, context: StepContext) -> None:
    """The session ended with a message unanswered and will not go on: each active step that
    wrote something records what is now in doubt (steps that only read need do nothing)."""
    for index, state in work.active.items():
        ending = getattr(step(steps[index]), "abandoned", None)
        if ending is not None:
            ending(state, context)


def progress(steps: list[str], work: SessionWork) -> int:
    """0-99 while steps remain (never 100 early: that ends the session), 100 when done."""
    if work.is_done(steps):
        return 100
    partial = sum(step(steps[i]).progress(state) for i, state in work.active.items())
    return min(99, int(100 * (len(work.finished) + partial) / len(steps)))

"""What a step is, what it is given, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from lxml import etree

from engine import queue
from engine.aggregates.mapping import Mapping
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.kinds import TransferKind
from engine.ports import PsaCatalog, QuickBooksDirectory
from engine.qbxml.parser import Response
from engine.queue import Routing


class StepState(Protocol):
    """A step's state between two messages: a frozen dataclass that writes itself to JSON under
    its `KIND` and `VERSION`, and is read back by the class method `from_json` (which accepts
    every earlier version)."""

    KIND: ClassVar[str]
    VERSION: ClassVar[int]

    def to_json(self) -> dict[str, Any]:
        """The state's fields as JSON values (without the kind and version)."""
        ...

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int) -> Self:
        """A state written by `to_json` in `version` (or an earlier shape)."""
        ...


S = TypeVar("S", bound=StepState)


@dataclass(frozen=True)
class Request:
    """The qbXML requests a step wants in the next message, in order, and the most their
    answers can weigh in bytes together (the pipeline puts several steps' requests in one
    message only while their answers fit its budget)."""

    elements: tuple[etree._Element, ...]
    answer_bound: int

    @classmethod
    def one(cls, element: etree._Element, answer_bound: int) -> Request:
        """A single request."""
        return cls((element,), answer_bound)


@dataclass(frozen=True)
class Outcome(Generic[S]):
    """What an answer did to a step: its new state, whether it is finished, a problem to show
    the admin, and (once finished) how many records it recorded."""

    state: S
    finished: bool = False
    problem: str | None = None
    recorded: int | None = None


class Step(Protocol[S]):
    """One kind of work in a session. The pipeline calls `start` once, then `request` and
    `absorb` in turn until an outcome says the step is finished. A step changes the engine
    only through the context's aggregates, whose events are saved with the session's."""

    name: str

    def start(self, context: StepContext) -> S:
        """The state before the first request (filters that must stay fixed for the pass)."""
        ...

    def request(self, state: S, context: StepContext, request_id: str) -> Request:
        """The step's next requests. A lone request takes `request_id`; several take
        `request_id` followed by a dot and a suffix of the step's choosing."""
        ...

    def absorb(
        self, state: S, responses: list[Response | None], context: StepContext
    ) -> Outcome[S]:
        """QuickBooks' answers to the requests, in their order (None where QuickBooks sent
        none): the new state, and what it recorded."""
        ...

    def interrupted(self, state: S, context: StepContext) -> S:
        """The message carrying this step's requests got no answer at all (QBWC reported an
        HRESULT): the state to go on from. A query is simply asked again; a write may have
        been applied and must be verified first."""
        ...

    def progress(self, state: S) -> float:
        """How far the step is, from 0.0 to 1.0 (an estimate, for QBWC's progress bar)."""
        ...


class QueryStep(Generic[S]):
    """What every step made of one query at a time shares: a missing answer ends the step
    with a problem, and an unanswered message is asked again as it was."""

    name: str

    def absorb(
        self, state: S, responses: list[Response | None], context: StepContext
    ) -> Outcome[S]:
        """The one answer, handed to `absorb_one`."""
        response = responses[0] if responses else None
        if response is None:
            return Outcome(
                state, finished=True, problem=f"{self.name}: QuickBooks returned no response"
            )
        return self.absorb_one(state, response, context)

    def absorb_one(self, state: S, response: Response, context: StepContext) -> Outcome[S]:
        """QuickBooks' answer to the step's query."""
        raise NotImplementedError

    def interrupted(self, state: S, context: StepContext) -> S:
        """Nothing was recorded: the same query goes again."""
        return state


@dataclass
class StepContext:
    """What a step may use: the session's facts, and ports to what the engine knows. The
    aggregates are loaded on first use, once per call, and saved by the conversation with the
    session (`changed`)."""

    connector_id: UUID
    now: datetime
    qbxml_version: str
    load_lists: Callable[[], QuickBooksLists]
    load_mapping: Callable[[], Mapping]
    load_routing: Callable[[], Routing]
    directory: QuickBooksDirectory | None = None
    catalog: PsaCatalog | None = None
    _loaded: dict[str, Aggregate] = field(default_factory=dict)
    _records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def lists(self) -> QuickBooksLists:
        """The connector's QuickBooks lists (watermarks and what a sync has seen)."""
        lists = self._once("lists", self.load_lists)
        assert isinstance(lists, QuickBooksLists)
        return lists

    def mapping(self) -> Mapping:
        """The connector's mappings from PSA codes to QuickBooks records."""
        mapping = self._once("mapping", self.load_mapping)
        assert isinstance(mapping, Mapping)
        return mapping

    def _once(self, key: str, load: Callable[[], Aggregate]) -> Aggregate:
        if key not in self._loaded:
            self._loaded[key] = load()
        return self._loaded[key]

    def find(self, list_name: str, name_or_list_id: str) -> dict[str, Any] | None:
        """A QuickBooks record of this connector's company file, by ListID or by full name."""
        if self.directory is None:
            raise LookupError("this engine was built without the QuickBooks-lists read model")
        return self.directory.find(self.connector_id, list_name, name_or_list_id)

    def ready_documents(
        self, kind: TransferKind
    ) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """(document, its organization or resource) for each PSA document of `kind` marked
        Ready to Transfer that goes through this connector."""
        if self.catalog is None:
            raise LookupError("this engine was built without the PSA read model")
        catalog, cache = self.catalog, self._records

        def records(psa_kind: str) -> dict[str, dict[str, Any]]:
            if psa_kind not in cache:
                cache[psa_kind] = {r["psa_id"]: r for r in catalog.records_of(psa_kind)}
            return cache[psa_kind]

        return list(queue.ready_here(records, kind, self.load_routing()))

    def changed(self) -> list[Aggregate]:
        """The aggregates steps loaded and may have changed, to save with the session."""
        return [a for a in self._loaded.values() if a.pending_events]

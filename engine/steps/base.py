"""What a step is, what it is given, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from lxml import etree

from engine import queue
from engine.aggregates import WebConnector
from engine.aggregates.inventory_sync import InventorySync
from engine.aggregates.mapping import Mapping
from engine.aggregates.psa import Document, PsaRecord
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.transfer import Transfer
from engine.kinds import DocumentStatus, TransferKind
from engine.ports import PsaCatalog, QuickBooksDirectory, TransferQueue
from engine.psa import record_id
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
        """The step's next requests, none when it has nothing left to do. A lone request takes
        `request_id`; several take `request_id`, a dot and a suffix of the step's choosing.
        Building them changes nothing: the pipeline may build and not send them."""
        ...

    def due(self, state: S, context: StepContext) -> bool:
        """Whether `request` would give something now. The pipeline asks before each message
        which steps are finished; answering must cost less than building the requests."""
        ...

    def sent(self, state: S, request: Request, context: StepContext) -> S:
        """`request` is in the message QBWC takes now: record what that means (a transfer
        is sent) through the context's aggregates; returns the state while it is in flight."""
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

    def request(self, state: S, context: StepContext, request_id: str) -> Request:
        """The step's one query, none when it is done."""
        raise NotImplementedError

    def due(self, state: S, context: StepContext) -> bool:
        """One query costs little to build: whether there is one."""
        return bool(self.request(state, context, "0").elements)

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

    def sent(self, state: S, request: Request, context: StepContext) -> S:
        """A query changes nothing by being sent."""
        return state


@dataclass
class StepContext:
    """What a step may use: the session's facts, and ports to what the engine knows. Every
    aggregate a step loads is loaded once (`loaded`) and saved by the conversation with the
    session (`changed`), so a step's events are recorded together with the message or the
    answer that caused them."""

    connector_id: UUID
    now: datetime
    qbxml_version: str
    load: Callable[[UUID], Aggregate | None]
    load_routing: Callable[[], Routing]
    # The same for kinds never snapshotted (transfers, PSA records): one query instead of two.
    load_unsnapshotted: Callable[[UUID], Aggregate | None] | None = None
    directory: QuickBooksDirectory | None = None
    catalog: PsaCatalog | None = None
    queue: TransferQueue | None = None
    session_id: UUID | None = None
    exchange_id: UUID | None = None  # the exchange being sent or answered
    file_mode: str = ""  # QBFileMode from the session's host answer: SingleUser, MultiUser
    # What steps loaded, by id: kept from the session's previous call while still current
    # (engine.working_sets), so each aggregate is loaded once however many calls use it.
    loaded: MutableMapping[UUID, Aggregate | None] = field(default_factory=dict)
    _touched: set[UUID] = field(default_factory=set)  # what this call used of `loaded`
    _records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def get(self, aggregate_id: UUID, *, snapshotted: bool = True) -> Aggregate | None:
        """An aggregate, loaded once while it stays current (None if it does not exist).
        `snapshotted` False: of a kind the engine never snapshots, loaded without looking
        for one."""
        self._touched.add(aggregate_id)
        if aggregate_id not in self.loaded:
            load = self.load if snapshotted else (self.load_unsnapshotted or self.load)
            self.loaded[aggregate_id] = load(aggregate_id)
        return self.loaded[aggregate_id]

    def lists(self) -> QuickBooksLists:
        """The connector's QuickBooks lists (watermarks and what a sync has seen)."""
        lists = self.get(QuickBooksLists.create_id(self.connector_id))
        if lists is None:
            lists = self.loaded[QuickBooksLists.create_id(self.connector_id)] = QuickBooksLists(
                self.connector_id
            )
        assert isinstance(lists, QuickBooksLists)
        return lists

    def inventory_sync(self) -> InventorySync:
        """The connector's inventory syncs (what is in flight, the history)."""
        found = self.get(InventorySync.create_id(self.connector_id))
        if found is None:
            found = self.loaded[InventorySync.create_id(self.connector_id)] = InventorySync(
                self.connector_id
            )
        assert isinstance(found, InventorySync)
        return found

    def psa_records(self, kind: str) -> list[dict[str, Any]]:
        """Every imported PSA record of `kind`, as the PSA read model lists them."""
        if self.catalog is None:
            raise LookupError("this engine was built without the PSA read model")
        return list(self.catalog.records_of(kind))

    def mapping(self) -> Mapping:
        """The connector's mappings from PSA codes to QuickBooks records."""
        mapping = self.get(Mapping.create_id(self.connector_id))
        if mapping is None:
            mapping = self.loaded[Mapping.create_id(self.connector_id)] = Mapping(self.connector_id)
        assert isinstance(mapping, Mapping)
        return mapping

    def connector(self) -> WebConnector:
        """The web connector the session runs for."""
        connector = self.get(self.connector_id)
        assert isinstance(connector, WebConnector)
        return connector

    def load_transfer(self, transfer_id: UUID) -> Transfer | None:
        """A transfer of this connector."""
        transfer = self.get(transfer_id, snapshotted=False)
        return transfer if isinstance(transfer, Transfer) else None

    def load_document(self, document_id: UUID) -> Document:
        """The PSA document a transfer moves."""
        document = self.get(document_id, snapshotted=False)
        assert isinstance(document, Document)
        return document

    def psa_data(self, kind: str, psa_id: str) -> dict[str, Any] | None:
        """The data of an imported PSA record (an organization, a billing code...)."""
        record = self.get(record_id(kind, psa_id), snapshotted=False)
        return record.data if isinstance(record, (PsaRecord, Document)) else None

    def inputs(self, document_id: UUID) -> dict[str, int]:
        """The versions of what a document's transfer depends on: when one changes, a
        transfer that failed because of its data is tried again."""
        document = self.load_document(document_id)
        return {
            "document": document.version,
            "party": self.party_version(document),
            "mapping": self.mapping().version,
            "connector": self.connector().version,
            "lists": self.lists().changes,
        }

    def party_version(self, document: Document) -> int:
        """The version of the organization or resource a document names (0 when it names
        none, or one never imported): renaming it in the PSA is a change of the document's."""
        party = queue.PARTIES.get(TransferKind(document.kind))
        if party is None:
            return 0
        field_name, kind = party
        record = self.get(
            record_id(kind, str(document.data.get(field_name, ""))), snapshotted=False
        )
        return record.version if record is not None else 0

    def written_back(self, transfer: Transfer, quickbooks: dict[str, Any]) -> None:
        """The document learns its QuickBooks TxnID and number."""
        document = self.load_document(transfer.document_id)
        if document.status != DocumentStatus.TRANSFERRED:
            document.mark_transferred(self.connector_id, quickbooks, "qbwc", self.now)
        else:
            document.record_resync(quickbooks, self.now)

    def find(self, list_name: str, name_or_list_id: str) -> dict[str, Any] | None:
        """A QuickBooks record of this connector's company file, by ListID or by full name."""
        if self.directory is None:
            raise LookupError("this engine was built without the QuickBooks-lists read model")
        return self.directory.find(self.connector_id, list_name, name_or_list_id)

    def find_applied(self, list_name: str, name_or_list_id: str) -> dict[str, Any] | None:
        """The same lookup in what the read model has applied so far (it never waits; what
        it has not seen yet, a step asks QuickBooks)."""
        if self.directory is None:
            return None
        return self.directory.find_applied(self.connector_id, list_name, name_or_list_id)

    def open_transfers(
        self, kind: str, limit: int, after: str | None = None
    ) -> list[tuple[str, UUID]]:
        """(queue position, id) of this connector's transfers of `kind` not yet in QuickBooks,
        after `after` in queue order (from the transfers read model; a step loads each one
        before acting on it)."""
        if self.queue is None:
            return []
        return self.queue.open_transfers(self.connector_id, kind, limit, after)

    def count_open_transfers(self, kind: str) -> int:
        """How many transfers of `kind` the queue holds for this connector."""
        return 0 if self.queue is None else self.queue.count_open(self.connector_id, kind)

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
        """The aggregates steps loaded and changed, to save with the session."""
        aggregates = (self.loaded.get(i) for i in self._touched)
        return [a for a in aggregates if a is not None and a.pending_events]

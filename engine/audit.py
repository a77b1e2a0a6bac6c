"""The auditor's story of a document, a session or a connector, told from the event log alone
(never from a read model): what was imported, configured, queued, sent and answered, what
QuickBooks said, and who changed what by hand, in the order it was recorded.

`as_of` tells the story up to a moment: only what had been recorded by then, and the
configuration, queue and outcomes as they stood at that moment. Moments are the events'
recorded timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic
from lxml import etree

from engine.aggregates.account import Account
from engine.aggregates.connector import WebConnector
from engine.aggregates.exchange import Exchange
from engine.aggregates.mapping import Mapping
from engine.aggregates.session import QbwcSession
from engine.aggregates.transfer import Transfer
from engine.errors import InvalidValue, NotFound
from engine.ids import require_id
from engine.psa import record_id
from engine.qbxml.parser import QbxmlParseError, parse_response
from engine.text import excerpt

# Connector attributes that decide what a transfer sends, as the story shows them.
SETTINGS = (
    "name",
    "transfers",
    "item_naming",
    "name_overflow",
    "transfer_taxes_directly",
    "income_account",
    "transfer_cash_advances",
    "company_file",
)
SCAN_BATCH = 1_000  # notifications read from the log at a time
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class Entry:
    """One thing that happened, as the story tells it."""

    at: datetime
    subject: str  # "document", "transfer <id>", "session", "exchange <id>", "connector", ...
    what: str  # the event's name: Imported, Sent, Failed, Set, ...
    by: str | None = None  # who, for what a person did
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """For --json."""
        return {
            "at": self.at.isoformat(),
            "subject": self.subject,
            "what": self.what,
            "by": self.by,
            "details": self.details,
        }


@dataclass(frozen=True)
class Story:
    """What the log says of one subject, up to `as_of` (None: up to now)."""

    subject: dict[str, Any]
    as_of: datetime | None
    entries: list[Entry]
    state: dict[str, Any]  # where things stood at the end of the story

    def as_dict(self) -> dict[str, Any]:
        """For --json."""
        return {
            "subject": self.subject,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "state": self.state,
            "entries": [e.as_dict() for e in self.entries],
        }


class AuditLog:
    """Stories from an application's event log."""

    def __init__(self, app: Application, *, qbxml: bool = False) -> None:
        self.app, self.qbxml = app, qbxml

    # -- subjects --------------------------------------------------------------------------

    def document(self, kind: str, psa_id: str, as_of: datetime | None = None) -> Story:
        """A document's versions, every transfer attempt (with the settings and mappings in
        force when it was sent, the request and QuickBooks' answer), its paid date, and what
        people did to it by hand."""
        doc_id = record_id(kind, psa_id)
        events = self._events(doc_id, as_of)
        if not events:
            raise NotFound(f"no {kind} {excerpt(psa_id)} in the log" + _by(as_of))
        entries = [self._entry("document", e) for e in events]
        transfers, connectors = {}, set()
        for transfer_id in self._transfers_of(doc_id, as_of):
            transfer_events = self._events(transfer_id, as_of)
            transfers[str(transfer_id)] = _status(transfer_events)
            connector_id = transfer_events[0].connector_id
            connectors.add(connector_id)
            subject = f"transfer {transfer_id}"
            for event in transfer_events:
                entry = self._entry(subject, event)
                if isinstance(event, Transfer.Sent):
                    entry.details.update(self._attempt(connector_id, event, as_of))
                entries.append(entry)
        # What people changed meanwhile on the connectors it went through: the settings and
        # mappings each attempt was sent under changed with these.
        since = events[0].timestamp
        for connector_id in sorted(connectors, key=str):
            for subject, changes in (
                (f"connector {connector_id}", self._events(connector_id, as_of)),
                (f"mappings {connector_id}", self._mapping_events(connector_id, as_of)),
            ):
                entries += [self._entry(subject, e) for e in changes if e.timestamp >= since]
        state = {"document": _status(events), "transfers": transfers}
        named = {"type": kind, "id": psa_id, "aggregate_id": str(doc_id)}
        return Story(named, as_of, sorted(entries, key=_when), state)

    def session(self, ref: str, as_of: datetime | None = None) -> Story:
        """A QBWC session: sign-in, each message sent and answered (with the qbXML when
        asked), how it ended."""
        session_id = UUID(require_id(ref, self._ids(QbwcSession.Opened), "session"))
        events = self._events(session_id, as_of)
        if not events:
            raise NotFound(f"no session {excerpt(ref)} in the log" + _by(as_of))
        entries = []
        for event in events:
            entries.append(self._entry("session", event))
            if isinstance(event, QbwcSession.RequestSent):
                entries += self._exchange(event.exchange_id, as_of)
        subject = {"session_id": str(session_id), "connector_id": _text(events[0].connector_id)}
        return Story(subject, as_of, sorted(entries, key=_when), {"session": _status(events)})

    def connector(self, ref: str, as_of: datetime | None = None) -> Story:
        """A connector's settings and mappings, every change to them, and its sessions."""
        connector_id = self.connector_id(ref)
        events = self._events(connector_id, as_of)
        if not events:
            raise NotFound(f"no web connector {excerpt(ref)} in the log" + _by(as_of))
        entries = [self._entry("connector", e) for e in events]
        entries += [self._entry("mappings", e) for e in self._mapping_events(connector_id, as_of)]
        for opened in self._scan(QbwcSession.Opened, as_of):
            if opened.connector_id == connector_id:
                session = self._events(opened.originator_id, as_of)
                entries.append(
                    Entry(
                        opened.timestamp,
                        f"session {opened.originator_id}",
                        "Session",
                        opened.username,
                        {"ended": _status(session), "events": len(session)},
                    )
                )
        settings = self._settings(connector_id, as_of)
        state = {"settings": settings, "mappings": self._mappings(connector_id, as_of)}
        return Story({"connector_id": str(connector_id)}, as_of, sorted(entries, key=_when), state)

    # -- pieces ----------------------------------------------------------------------------

    def _attempt(
        self, connector_id: UUID, sent: Transfer.Sent, as_of: datetime | None
    ) -> dict[str, Any]:
        """What an attempt sent and got back (by `as_of`), and the configuration it was sent
        under."""
        out: dict[str, Any] = {
            "settings": self._settings(connector_id, sent.timestamp),
            "mappings": self._mappings(connector_id, sent.timestamp),
        }
        for event in self._events(sent.exchange_id, as_of):
            if isinstance(event, Exchange.RequestSent):
                if self.qbxml:
                    out["request_qbxml"] = _element(event.request_xml, sent.request_id)
            elif isinstance(event, Exchange.ResponseReceived):
                out["response"] = _answer(event.response_xml, sent.request_id)
                if self.qbxml:
                    out["response_qbxml"] = _element(event.response_xml, sent.request_id)
            elif isinstance(event, Exchange.ErrorReceived):
                out["response"] = {"error": event.hresult, "message": event.message}
        return out

    def _exchange(self, exchange_id: UUID, as_of: datetime | None) -> list[Entry]:
        entries = []
        for event in self._events(exchange_id, as_of):
            entry = self._entry(f"exchange {exchange_id}", event)
            if isinstance(event, Exchange.ResponseReceived):
                entry.details["answers"] = _answers(event.response_xml)
            if self.qbxml:
                for name in ("request_xml", "response_xml"):
                    if hasattr(event, name):
                        entry.details[name] = getattr(event, name)
            entries.append(entry)
        return entries

    def _settings(self, connector_id: UUID, as_of: datetime | None) -> dict[str, Any]:
        events = self._events(connector_id, as_of)
        if not events:
            return {}
        connector: WebConnector = self.app.repository.get(
            connector_id, version=events[-1].originator_version
        )
        return {name: getattr(connector, name, None) for name in SETTINGS}

    def _mapping_events(self, connector_id: UUID, as_of: datetime | None) -> list[Any]:
        return self._events(Mapping.create_id(connector_id), as_of)

    def _mappings(self, connector_id: UUID, as_of: datetime | None) -> dict[str, Any]:
        events = self._mapping_events(connector_id, as_of)
        if not events:
            return {}
        mapping: Mapping = self.app.repository.get(
            Mapping.create_id(connector_id), version=events[-1].originator_version
        )
        return {category: dict(entries) for category, entries in mapping.entries.items()}

    def _transfers_of(self, document_id: UUID, as_of: datetime | None) -> list[UUID]:
        return [
            queued.originator_id
            for queued in self._scan(Transfer.Queued, as_of)
            if queued.document_id == document_id
        ]

    def _ids(self, created: type) -> list[str]:
        """Every id of the aggregates `created` creates (to match a typed prefix)."""
        return [str(e.originator_id) for e in self._scan(created, None)]

    def connector_id(self, ref: str) -> UUID:
        """A connector by id (or prefix), or by its current name."""
        accounts = list(self.app.events.get(Account.create_id(), limit=1))
        if accounts:
            account: Account = self.app.repository.get(Account.create_id())
            for connector_id, name in account.connectors.items():
                if ref.strip().casefold() == name.casefold():
                    return UUID(connector_id)
        return UUID(require_id(ref, self._ids(WebConnector.Created), "web connector"))

    def _scan(self, event_class: type, as_of: datetime | None) -> Iterator[Any]:
        return (e for e in scan(self.app, event_class) if as_of is None or e.timestamp <= as_of)

    def _events(self, originator_id: UUID, as_of: datetime | None) -> list[Any]:
        events: list[Any] = list(self.app.events.get(originator_id))
        return [e for e in events if as_of is None or e.timestamp <= as_of]

    def _entry(self, subject: str, event: Any) -> Entry:
        details = {
            k: plain(v)
            for k, v in event.__dict__.items()
            if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")
            and not k.endswith("_xml")
        }
        by = details.pop("by", None) or details.pop("cleared_by", None)
        by = by or details.pop("issued_by", None)
        return Entry(event.timestamp, subject, type(event).__name__, by, details)


def scan(app: Application, event_class: type) -> Iterator[Any]:
    """Every event of one class in the log, in log order (the topic is filtered in SQL)."""
    topics, after = [get_topic(event_class)], 0
    while batch := app.recorder.select_notifications(
        start=after, limit=SCAN_BATCH, topics=topics, inclusive_of_start=False
    ):
        for notification in batch:
            yield app.mapper.to_domain_event(notification)
        after = batch[-1].id


def parse_moment(text: str, option: str = "--as-of") -> datetime:
    """A moment given on the command line: ISO 8601 with a time zone, or a date (its start,
    UTC)."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value if "T" in value else f"{value}T00:00:00+00:00")
    except ValueError:
        raise InvalidValue(
            f"{option} {excerpt(value)} is not a date (2026-12-01) or an ISO 8601 moment "
            "(2026-12-01T09:30:00+00:00)"
        ) from None
    if moment.tzinfo is None:
        raise InvalidValue(f"{option} {excerpt(value)} needs a time zone (Z or +hh:mm)")
    return moment


def _status(events: list[Any]) -> str | None:
    """The name of the last event: where an aggregate stood at the end of the story."""
    return type(events[-1]).__name__ if events else None


def _when(entry: Entry) -> datetime:
    return entry.at


def _by(as_of: datetime | None) -> str:
    return f" by {as_of.isoformat()}" if as_of else ""


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def plain(value: Any) -> Any:
    """Event values as JSON has them."""
    if isinstance(value, UUID | datetime):
        return value.isoformat() if isinstance(value, datetime) else str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def _answers(response_xml: str) -> list[dict[str, Any]]:
    """Each answer of a response message: its request, status code and message."""
    try:
        responses = parse_response(response_xml).responses
    except QbxmlParseError as exc:
        return [{"error": str(exc)}]
    return [
        {
            "request_id": r.request_id,
            "name": r.name,
            "status": r.status.code,
            "severity": r.status.severity,
            "message": r.status.message,
        }
        for r in responses
    ]


def _answer(response_xml: str, request_id: str) -> dict[str, Any] | None:
    return next((a for a in _answers(response_xml) if a.get("request_id") == request_id), None)


def _element(xml: str, request_id: str) -> str | None:
    """The one request (or response) of a message with this requestID, as text."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), _XML)
    except (etree.XMLSyntaxError, ValueError):
        return None
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("requestID") == request_id:
            return etree.tostring(element, encoding="unicode")
    return None

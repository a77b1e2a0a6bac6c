"""What the server tells its operators: one log line per QBWC call, per transfer outcome and per
error (never a password, a ticket or a token), and the Prometheus metrics of `GET /metrics`.

Log lines carry their fields twice: readable in the message, and as attributes a JSON formatter
(`LOG_FORMAT=json`, web.logs) writes as keys. Metrics live in one registry per app; with several
gunicorn workers, set PROMETHEUS_MULTIPROC_DIR and every worker's counts are added up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from engine.aggregates.session import QbwcSession, session_id_for
from engine.aggregates.transfer import Transfer
from engine.application import TransferEngine
from engine.settings import Settings

qbwc_log = logging.getLogger("qbtransfer.qbwc")
transfer_log = logging.getLogger("qbtransfer.transfers")
session_log = logging.getLogger("qbtransfer.sessions")

# Which transfer events are outcomes, and what each is called in the history and the metrics.
TRANSFER_RESULTS: dict[type, str] = {
    Transfer.Succeeded: "ok",
    Transfer.Verified: "ok",
    Transfer.Failed: "failed",
    Transfer.MarkedInDoubt: "in-doubt",
    Transfer.FoundMissing: "missing",
    Transfer.Skipped: "skipped",
    Transfer.DeletedInQuickBooks: "deleted",
}
SESSION_ENDINGS = (QbwcSession.Closed, QbwcSession.Abandoned, QbwcSession.Expired)
NAME_TTL_SECONDS = 60.0
CACHE_LIMIT = 10_000  # registrations and connectors remembered: bounded, whoever calls
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Telemetry:
    """Logs and metrics of one app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = CollectorRegistry(auto_describe=True)
        self.sessions = Counter(
            "qbtransfer_sessions",
            "QBWC sessions by how they ended (refused counts every refused authenticate)",
            ["outcome"],
            registry=self.registry,
        )
        self.calls = Counter(
            "qbtransfer_soap_calls",
            "QBWC SOAP calls by method and result",
            ["method", "result"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "qbtransfer_soap_call_seconds",
            "Time to answer a QBWC SOAP call, by method",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.transfers = Counter(
            "qbtransfer_transfers",
            "Transfer outcomes by document type and result",
            ["type", "result"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "qbtransfer_authentications_refused",
            "Refused QBWC authentications by 90xxx code",
            ["code"],
            registry=self.registry,
        )
        self._connectors: dict[str, str] = {}  # registration -> connector id (never changes)
        # connector id -> (name, when read): re-read after NAME_TTL_SECONDS, as another
        # process (the command line) may rename a connector
        self._names: dict[str, tuple[str, float]] = {}

    # -- the registry to scrape ------------------------------------------------------------

    def scrape_registry(self, engine: TransferEngine) -> CollectorRegistry:
        """What `GET /metrics` exposes: this process's metrics (or every worker's, with
        PROMETHEUS_MULTIPROC_DIR) and the read models' lag, measured now."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        else:
            registry = self.registry
        scrape = CollectorRegistry(auto_describe=True)
        scrape.register(_Union(registry))
        scrape.register(_ReadModelLag(self.settings, engine))
        return scrape

    # -- QBWC calls ------------------------------------------------------------------------

    def qbwc_call(
        self,
        engine: TransferEngine,
        registration_id: str,
        method: str,
        ticket: str | None,
        answer: Any,
        started: float,
    ) -> None:
        """Log and count one answered QBWC call."""
        seconds = time.perf_counter() - started
        result, code = self._call_result(engine, method, ticket, answer)
        if method == "authenticate" and isinstance(answer, list) and len(answer) > 0:
            ticket = answer[0]
        connector_id, connector = self._connector_of(engine, registration_id)
        session = str(session_id_for(ticket)) if ticket else None
        self.calls.labels(method, result).inc()
        self.latency.labels(method).observe(seconds)
        if code is not None:
            self.refusals.labels(str(code)).inc()
            self.sessions.labels("refused").inc()
        qbwc_log.info(
            "qbwc %s session=%s connector=%s result=%s code=%s duration_ms=%.1f",
            method,
            session or "-",
            connector or "-",
            result,
            code if code is not None else "-",
            seconds * 1000,
            extra={
                "event": "qbwc_call",
                "method": method,
                "session": session,
                "connector_id": connector_id,
                "connector": connector,
                "registration": registration_id,
                "result": result,
                "code": code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )

    def _call_result(
        self, engine: TransferEngine, method: str, ticket: str | None, answer: Any
    ) -> tuple[str, int | None]:
        """The outcome of a call in a word, and a refusal's 90xxx code."""
        if method == "authenticate" and isinstance(answer, list) and len(answer) > 1:
            status = answer[1]
            if status == "nvu":
                return "refused", self._refusal_code(engine, answer[0])
            return ("work" if status not in ("none", "busy") else status), None
        if method == "sendRequestXML":
            return ("request" if answer else "nothing"), None
        if method == "receiveResponseXML" and isinstance(answer, int):
            return ("error" if answer < 0 else "done" if answer >= 100 else "more"), None
        if method == "connectionError":
            return ("done" if answer == "done" else "retry"), None
        return "answered", None

    def _refusal_code(self, engine: TransferEngine, ticket: str) -> int | None:
        try:
            return engine.get_session(session_id_for(ticket), with_xml=False)["refusal_code"]
        except Exception:
            return None

    def _connector_of(
        self, engine: TransferEngine, registration_id: str
    ) -> tuple[str | None, str | None]:
        connector_id = self._connectors.get(registration_id)
        if connector_id is None:
            try:
                connector_id = str(engine.get_registration(registration_id)["connector_id"])
            except Exception:  # an unknown registration: its refusal is logged as such
                return None, None
            if len(self._connectors) < CACHE_LIMIT:
                self._connectors[registration_id] = connector_id
        return connector_id, self._name_of(engine, connector_id) or connector_id

    def _name_of(self, engine: TransferEngine, connector_id: str) -> str | None:
        known = self._names.get(connector_id)
        now = time.monotonic()
        if known is None or now - known[1] >= NAME_TTL_SECONDS:
            try:
                name = engine.get_connector(connector_id)["name"]
            except Exception:
                return known[0] if known else None
            if len(self._names) < CACHE_LIMIT:
                self._names[connector_id] = (name, now)
            return name
        return known[0]

    # -- what commands saved ---------------------------------------------------------------

    def watch(self, engine: TransferEngine) -> None:
        """Log and count the outcomes in what each of the engine's commands saves."""

        def observer(saved: dict[UUID, Aggregate], events: list[DomainEventProtocol[UUID]]) -> None:
            for event in events:
                aggregate = saved.get(event.originator_id)
                if isinstance(aggregate, Transfer) and type(event) in TRANSFER_RESULTS:
                    self._transfer(engine, aggregate, event)
                elif isinstance(event, SESSION_ENDINGS):
                    self._session_ended(engine, aggregate, event)

        engine.observers.append(observer)

    def _transfer(
        self, engine: TransferEngine, transfer: Transfer, event: DomainEventProtocol[UUID]
    ) -> None:
        result = TRANSFER_RESULTS[type(event)]
        self.transfers.labels(transfer.kind, result).inc()
        code = getattr(event, "code", None)
        message = getattr(event, "message", None) or getattr(event, "reason", None)
        session_id = getattr(event, "session_id", None)
        connector = self._name_of(engine, str(transfer.connector_id))
        level = logging.WARNING if result in ("failed", "in-doubt") else logging.INFO
        transfer_log.log(
            level,
            "transfer %s %s connector=%s result=%s code=%s%s",
            transfer.kind,
            transfer.psa_id,
            connector or transfer.connector_id,
            result,
            code if code is not None else "-",
            f" message={message!r}" if message else "",
            extra={
                "event": "transfer",
                "type": transfer.kind,
                "document": transfer.psa_id,
                "number": transfer.number,
                "part": transfer.part or None,
                "connector_id": str(transfer.connector_id),
                "connector": connector,
                "result": result,
                "code": code,
                "detail": message,
                "session": str(session_id) if session_id else None,
            },
        )

    def _session_ended(
        self, engine: TransferEngine, session: Aggregate | None, event: DomainEventProtocol[UUID]
    ) -> None:
        if isinstance(event, QbwcSession.Expired):
            outcome = "expired"
        elif isinstance(event, QbwcSession.Abandoned):
            outcome = "abandoned"
        else:
            outcome = getattr(session, "result", None) or getattr(event, "result", "closed")
        self.sessions.labels(outcome).inc()
        connector_id = getattr(session, "connector_id", None)
        connector = self._name_of(engine, str(connector_id)) if connector_id else None
        session_log.info(
            "session %s ended connector=%s outcome=%s",
            event.originator_id,
            connector or "-",
            outcome,
            extra={
                "event": "session_ended",
                "session": str(event.originator_id),
                "connector_id": str(connector_id) if connector_id else None,
                "connector": connector,
                "outcome": outcome,
            },
        )


class _Union:
    """Another registry's metrics, as one collector of the scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()


class _ReadModelLag:
    """Each read model's lag, measured when scraped (events it still has to apply)."""

    def __init__(self, settings: Settings, engine: TransferEngine) -> None:
        self.settings, self.engine = settings, engine

    def collect(self) -> Iterator[Any]:
        from projections.runtime import READ_MODELS, read_model_status

        lag = GaugeMetricFamily(
            "qbtransfer_read_model_lag_events",
            "Events a read model has still to apply",
            labels=["read_model"],
        )
        for name, model in READ_MODELS.items():
            try:
                status = read_model_status(self.settings, self.engine, name)
            except Exception:  # an unreachable store: the scrape says so by the gap
                continue
            lag.add_metric([model.name], status["lag"])
        yield lag

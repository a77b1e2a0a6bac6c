"""What every QBWC command needs: loading the session a ticket names, ending it cleanly."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from engine.aggregates.exchange import Exchange
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.session import QbwcSession, session_id_for
from engine.aggregates.slot import UpdateSlot
from engine.core import Needs
from engine.queue import Routing
from engine.steps import pipeline
from engine.steps.base import StepContext
from engine.text import bounded
from engine.working_sets import WorkingSet

MAX_RECORDED_REF = 40  # a registration id is 36 characters; anything else is cut


def recorded_ref(registration_ref: str) -> str:
    """The registration part of the URL as a session records it: itself when it is an id,
    else a short prefix and a digest (it comes from anyone who can reach the endpoint)."""
    return bounded(registration_ref, MAX_RECORDED_REF)


class SessionSupport(Needs):
    """Loading and releasing, shared by the authentication and conversation commands."""

    def _get_unsnapshotted(self, aggregate_id: UUID) -> Any:
        try:
            return self.unsnapshotted.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _slot(self, connector_id: UUID) -> UpdateSlot:
        return self._get(UpdateSlot.create_id(connector_id)) or UpdateSlot(connector_id)

    def _lists(self, connector_id: UUID) -> QuickBooksLists:
        return self._get(QuickBooksLists.create_id(connector_id)) or QuickBooksLists(connector_id)

    def _step_context(self, session: QbwcSession, now: datetime) -> StepContext:
        """What the session's steps may use; the aggregates load only if a step asks."""
        connector_id = session.connector_id
        assert connector_id is not None  # only an authenticated session exchanges messages
        return StepContext(
            connector_id=connector_id,
            now=now,
            qbxml_version=session.qbxml_version or "13.0",
            load=self._get,
            load_unsnapshotted=self._get_unsnapshotted,
            load_routing=lambda: self._routing(connector_id),
            directory=self.directory,
            catalog=self.catalog,
            queue=self.queue,
            session_id=session.id,
            exchange_id=session.in_flight,
            file_mode=str((session.host or {}).get("file_mode") or ""),
            loaded=self.working_sets.take(session.id),
        )

    def _keep(self, session: QbwcSession, context: StepContext) -> None:
        """After a save: what the steps loaded serves the session's next call."""
        if session.is_open and isinstance(context.loaded, WorkingSet):
            self.working_sets.keep(session.id, context.loaded)
        else:
            self.working_sets.forget(session.id)

    def _routing(self, connector_id: UUID) -> Routing:
        account = self._account()
        return Routing(connector_id, account.default_connector_id, account.inventory_connector_id)

    def _session(self, registration_ref: str, ticket: str) -> QbwcSession | None:
        """The session a ticket names, if it was issued for this registration's URL."""
        if not ticket:
            return None
        session = self._get(session_id_for(ticket))
        if session is None:
            return None
        # A refusal is shared by every caller it collapses (engine.qbwc.authentication) and
        # grants nothing: it only explains its code, whichever URL asks.
        if session.status != "refused" and session.registration_id != recorded_ref(
            registration_ref
        ):
            return None
        return session

    def _live(self, session: QbwcSession | None, now: datetime) -> QbwcSession | None:
        """`session` if it is open; expires it (and saves) when QBWC was idle too long."""
        if session is None or not session.is_open:
            return None
        if session.is_idle_since(now):
            session.expire(now)
            self.save(*self._ended_unanswered(session, now))
            return None
        return session

    def _ended_unanswered(
        self, session: QbwcSession, now: datetime, slot: UpdateSlot | None = None
    ) -> list[Aggregate]:
        """`session` has just ended without QBWC closing it (expired, or abandoned when QBWC
        started over): the connector is free again (`slot`, when the caller holds it, else
        the one loaded here), and a message it left unanswered is in doubt, with every write
        it carried, for the next session to verify. Returns what to save, the session and the
        slot included."""
        touched: list[Aggregate] = [session]
        if slot is None:
            touched += self._release(session, session.status, now)
        else:
            slot.release(session.id, session.status, now)
            touched.append(slot)
        if session.in_flight is not None and session.connector_id is not None:
            exchange: Exchange = self.repository.get(session.in_flight)
            exchange.mark_in_doubt(f"the session {session.status} before the answer came", now)
            touched.append(exchange)
            context = self._step_context(session, now)
            pipeline.abandoned(session.steps, session.work, context)
            touched += context.changed()
        self.working_sets.forget(session.id)
        return touched

    def _out_of_order(self, session: QbwcSession, call: str, now: datetime, value: Any) -> Any:
        session.fail(
            f"QBWC called {call} when {session.expected} was due; the session "
            "stopped so nothing is sent twice. The next run starts afresh.",
            now,
        )
        self.save(session, *self._release(session, "failed", now))
        return value

    def _release(self, session: QbwcSession, result: str, now: datetime) -> list[Aggregate]:
        if session.connector_id is None:
            return []
        slot = self._slot(session.connector_id)
        slot.release(session.id, result, now)
        return [slot]

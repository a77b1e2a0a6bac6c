"""What an auditor asks of a QBWC session: what was sent, when, and what QuickBooks said."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from engine.aggregates.exchange import Exchange
from engine.aggregates.session import QbwcSession, session_id_for
from engine.core import Needs
from engine.errors import NotFound
from engine.loading import load
from engine.text import excerpt
from engine.views import iso


class SessionQueries(Needs):
    """Sessions and their exchanges, read from the event store word for word."""

    def get_session_id(self, ticket: str) -> str:
        """The session a ticket belongs to (the ticket itself is never stored)."""
        return str(session_id_for(ticket))

    def get_session(self, session_id: str | UUID, *, with_xml: bool = True) -> dict[str, Any]:
        """One session with every exchange; with `with_xml`, the qbXML texts too."""
        session = load(self.repository, str(session_id), QbwcSession)
        if session is None:
            raise NotFound(f"no session {excerpt(session_id)}")
        exchange_ids = [
            e.exchange_id
            for e in self.events.get(session.id)
            if isinstance(e, QbwcSession.RequestSent)
        ]
        return {
            **session_summary(session),
            "host": session.host,
            "steps": session.steps,
            "problems": list(session.work.problems),
            "recorded": dict(session.work.recorded),
            "exchanges": [self.get_exchange(i, with_xml=with_xml) for i in exchange_ids],
        }

    def get_exchange(self, exchange_id: str | UUID, *, with_xml: bool = True) -> dict[str, Any]:
        """One request/response pair of a session, with its qbXML texts when `with_xml`."""
        exchange = load(self.repository, str(exchange_id), Exchange)
        if exchange is None:
            raise NotFound(f"no exchange {excerpt(exchange_id)}")
        exchange_id = exchange.id
        detail: dict[str, Any] = {
            "id": str(exchange.id),
            "session_id": str(exchange.session_id),
            "seq": exchange.seq,
            "purpose": exchange.purpose,
            "request_ids": exchange.request_ids,
            "status": exchange.status,
            "sent_at": iso(exchange.sent_at),
            "received_at": iso(exchange.received_at),
            "duration_ms": exchange.duration_ms,
            "hresult": None,
            "message": None,
        }
        for event in self.events.get(exchange_id):
            if isinstance(event, Exchange.RequestSent) and with_xml:
                detail["request_xml"] = event.request_xml
            elif isinstance(event, Exchange.ResponseReceived) and with_xml:
                detail["response_xml"] = event.response_xml
            elif isinstance(event, Exchange.ErrorReceived):
                detail["hresult"], detail["message"] = event.hresult, event.message
        return detail


def session_summary(session: QbwcSession) -> dict[str, Any]:
    """A session in one row."""
    return {
        "id": str(session.id),
        "connector_id": str(session.connector_id) if session.connector_id else None,
        "registration_id": session.registration_id,
        "username": session.username,
        "status": session.status,
        "result": session.result,
        "refusal_code": session.refusal_code,
        "started": iso(session.opened_at),
        "ended": iso(session.ended_at),
        "company_file": session.company_file,
        "qbxml_version": session.qbxml_version,
        "progress": session.progress,
        "exchange_count": session.exchanges,
        "last_error": session.last_error,
    }

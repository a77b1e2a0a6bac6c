"""The rest of the conversation: sendRequestXML, receiveResponseXML, connectionError,
getLastError and closeConnection. None of them raises for QBWC's sake: a bad ticket, an expired
session or a call out of order gets the method's in-band error value, and getLastError says
why."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from engine.aggregates import WebConnector
from engine.aggregates.exchange import Exchange
from engine.aggregates.session import LAST_ERROR, RECEIVE, SEND, QbwcSession
from engine.commanding import command
from engine.qbwc import codes
from engine.qbwc.company import check_company
from engine.qbwc.support import SessionSupport
from engine.qbxml.parser import QbxmlParseError, parse_response
from engine.qbxml.status import explain_hresult
from engine.steps import pipeline
from engine.steps.inventory import refuse_inventory_sync
from engine.text import bounded

MAX_HRESULT_RETRIES = 2
# What QBWC sends is recorded, but never at more than these lengths (engine.text.bounded).
MAX_PATH = 1024
MAX_CODE = 40
MAX_MESSAGE = 2000
MAX_CONNECTION_RETRIES = 1
UNKNOWN_TICKET = (
    "QBWC used a session this server does not know (it may have expired after "
    "60 idle minutes or been replaced by a newer run); the next run starts afresh."
)


class Conversation(SessionSupport):
    """Everything after authenticate."""

    @command
    def qbwc_send_request(
        self,
        registration_ref: str,
        ticket: str,
        hcp_response: str,
        company_file: str,
        country: str,
        major: int,
        minor: int,
    ) -> str:
        """sendRequestXML: the next qbXML message, or "" (then getLastError says why)."""
        now = self.clock()
        company_file, country = bounded(company_file, MAX_PATH), bounded(country, MAX_CODE)
        session = self._live(self._session(registration_ref, ticket), now)
        if session is None:
            return ""
        if session.expected == RECEIVE and session.in_flight is not None:
            # QBWC never got the message it asks for again, so QuickBooks never saw it either.
            session.resend(session.in_flight, now)
            self.save(session)
            return self._sent_text(session.in_flight)
        if session.expected != SEND:
            return self._out_of_order(session, "sendRequestXML", now, "")
        context = self._step_context(session, now)
        to_save: list[Aggregate] = [session]
        if session.host is None:
            connector: WebConnector = self.repository.get(context.connector_id)
            to_save.append(connector)
            problem = check_company(
                session,
                connector,
                context.lists(),
                hcp_response,
                company_file,
                country,
                major,
                minor,
                self._account().owner_id,
                now,
            )
            if problem is not None:
                session.fail(problem, now)
                to_save += self._release(session, "failed", now)
                self.save(*to_save)
                return ""
            host: dict[str, Any] = session.host or {}
            context.file_mode = str(host.get("file_mode") or "")
            refuse_inventory_sync(connector, context)
        context.qbxml_version = session.qbxml_version or context.qbxml_version
        context.exchange_id = uuid4()
        planned = pipeline.next_message(session.steps, session.work, session.exchanges + 1, context)
        if planned is None:
            session.fail("Nothing is left to do in this session.", now)
            to_save += self._release(session, "completed", now)
            self.save(*to_save)
            return ""
        exchange = Exchange(
            id=context.exchange_id,
            session_id=session.id,
            connector_id=context.connector_id,
            seq=session.exchanges + 1,
            purpose=planned.purpose,
            request_ids=planned.request_ids,
            request_xml=planned.qbxml,
            sent_at=now,
        )
        session.send(exchange.id, planned.purpose, planned.work, now)
        self.save(*to_save, *context.changed(), exchange)
        self._keep(session, context)
        return planned.qbxml

    @command
    def qbwc_receive_response(
        self, registration_ref: str, ticket: str, response: str, hresult: str, message: str
    ) -> int:
        """receiveResponseXML: 0-99 while work remains, 100 when done, negative to stop."""
        now = self.clock()
        hresult, message = bounded(hresult, MAX_CODE), bounded(message, MAX_MESSAGE)
        digest = hashlib.sha256((response + "\0" + hresult).encode("utf-8")).hexdigest()
        loaded = self._session(registration_ref, ticket)
        if (
            loaded is not None
            and loaded.expected != RECEIVE
            and (loaded.last_response_digest == digest)
        ):
            return loaded.progress  # the same answer delivered twice: same reply, no change
        session = self._live(loaded, now)
        if session is None:
            return -1
        if session.expected != RECEIVE or session.in_flight is None:
            return self._out_of_order(session, "receiveResponseXML", now, -1)
        exchange: Exchange = self.repository.get(session.in_flight)
        to_save: list[Aggregate] = [session, exchange]
        context = self._step_context(session, now)
        if hresult or not response:
            exchange.record_error(hresult, message, now)
            work = pipeline.interrupted(session.steps, session.work, exchange.request_ids, context)
            session.receive(exchange.id, work, session.progress, digest, now)
            to_save += context.changed()
            if work.attempts > MAX_HRESULT_RETRIES:
                session.fail(
                    f"QuickBooks could not process the {session.purpose} request "
                    f"{work.attempts} times in a row: {explain_hresult(hresult, message)}. "
                    "The session stopped; the next run tries again.",
                    now,
                )
                to_save += self._release(session, "failed", now)
                self.save(*to_save)
                self.working_sets.forget(session.id)
                return -1
            self.save(*to_save)
            self._keep(session, context)
            return session.progress
        exchange.record_response(response, now)
        try:
            parsed = parse_response(response)
        except QbxmlParseError as exc:
            session.fail(f"QBWC returned something that is not a qbXML response ({exc}).", now)
            to_save += self._release(session, "failed", now)
            self.save(*to_save)
            return -1
        work = pipeline.absorb(session.steps, session.work, exchange.request_ids, parsed, context)
        done = pipeline.progress(session.steps, work)
        session.receive(exchange.id, work, done, digest, now)
        to_save += context.changed()
        if done >= 100:
            to_save += self._release(session, "completed", now)
        self.save(*to_save)
        self._keep(session, context)
        return done

    @command
    def qbwc_connection_error(
        self, registration_ref: str, ticket: str, hresult: str, message: str
    ) -> str:
        """connectionError: retry with the linked company file once, then "done"."""
        now = self.clock()
        hresult, message = bounded(hresult, MAX_CODE), bounded(message, MAX_MESSAGE)
        session = self._live(self._session(registration_ref, ticket), now)
        if session is None:
            return "done"
        retry = session.connection_errors < MAX_CONNECTION_RETRIES
        text = f"QBWC could not open QuickBooks: {explain_hresult(hresult, message)}."
        session.report_connection_error(hresult, text, retry, now)
        to_save: list[Aggregate] = [session]
        if not retry:
            to_save += self._release(session, "failed", now)
        self.save(*to_save)
        if not retry:
            return "done"
        assert session.connector_id is not None  # a live session was authenticated
        connector: WebConnector = self.repository.get(session.connector_id)
        return str((connector.company_file or {}).get("path") or "")

    @command
    def qbwc_last_error(self, registration_ref: str, ticket: str) -> str:
        """getLastError: why the last call failed, in words (never empty)."""
        now = self.clock()
        session = self._session(registration_ref, ticket)
        if session is None:
            return UNKNOWN_TICKET
        if session.status == "refused":
            return _refusal_words(session)
        text = session.last_error or "No error was recorded for this session."
        if session.expected == LAST_ERROR:
            session.show_error(now)
            self.save(session)
        return text

    @command
    def qbwc_close(self, registration_ref: str, ticket: str) -> str:
        """closeConnection: finish the session and say how it went."""
        now = self.clock()
        session = self._session(registration_ref, ticket)
        if session is None:
            return "OK"
        if session.status in ("closed", "abandoned", "expired", "refused"):
            # Nothing is left to close; a refusal ended when it was made (and may be shared by
            # many callers, so closing it must not record anything).
            return self._closing_words(session)
        if session.status == "open":
            result = "completed" if session.progress >= 100 else "incomplete"
        else:
            result = session.status  # refused, busy, none or failed
        session.close(result, now)
        to_save: list[Aggregate] = [session, *self._release(session, result, now)]
        self.save(*to_save)
        self.working_sets.forget(session.id)
        return self._closing_words(session)

    def _sent_text(self, exchange_id: UUID) -> str:
        """The qbXML an exchange carried (its first event)."""
        sent = next(iter(self.events.get(exchange_id, lte=1)))
        assert isinstance(sent, Exchange.RequestSent)
        return sent.request_xml

    def _closing_words(self, session: QbwcSession) -> str:
        if session.status == "refused":
            return _refusal_words(session)
        if session.result == "completed":
            problems = session.work.problems
            words = f"Sync completed: {session.exchanges} messages"
            return words + (
                f"; {len(problems)} problem(s): " + "; ".join(problems) if problems else "."
            )
        return session.last_error or f"Session {session.result or session.status}."


def _refusal_words(session: QbwcSession) -> str:
    """A refused authenticate's code, what it means and what to do."""
    assert session.refusal_code is not None  # refuse() always records the code
    meaning, remedy = codes.describe(session.refusal_code)
    return f"{session.refusal_code}: {meaning}. {remedy}"

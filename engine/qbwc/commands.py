"""The commands behind QBWC's SOAP methods, mixed into the TransferEngine.

Each method is one command: it loads the session named by the ticket (and whatever else it
touches), checks that QBWC called what the session expects, does its work and saves every
aggregate together. None of them raises for QBWC's sake: a bad ticket, an expired session or a
call out of order gets the method's in-band error value, and getLastError explains.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from engine import passwords, planner
from engine.aggregates import Registration, User, WebConnector
from engine.aggregates.exchange import Exchange
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.session import LAST_ERROR, RECEIVE, SEND, QbwcSession, session_id_for
from engine.aggregates.slot import UpdateSlot
from engine.aggregates.user import user_id
from engine.qbwc import codes
from engine.qbwc.company import check_company
from engine.qbxml.parser import QbxmlParseError, parse_response
from engine.qbxml.status import explain_hresult

LIST_REFRESH = timedelta(minutes=60)
BUSY_POSTPONE_SECONDS = 300
MAX_HRESULT_RETRIES = 2
MAX_CONNECTION_RETRIES = 1
UNKNOWN_TICKET = (
    "QBWC used a session this server does not know (it may have expired after "
    "60 idle minutes or been replaced by a newer run); the next run starts afresh."
)


class QbwcCommands:
    """authenticate, sendRequestXML, receiveResponseXML, connectionError, getLastError,
    closeConnection: the conversation, one command per call."""

    # Provided by the TransferEngine (an eventsourcing Application): clock, repository, events,
    # save(), _account() and _user().
    clock: Any
    repository: Any
    events: Any

    # -- loading -------------------------------------------------------------------------------

    def _get(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _slot(self, connector_id: UUID) -> UpdateSlot:
        return self._get(UpdateSlot.create_id(connector_id)) or UpdateSlot(connector_id)

    def _lists(self, connector_id: UUID) -> QuickBooksLists:
        return self._get(QuickBooksLists.create_id(connector_id)) or QuickBooksLists(connector_id)

    def _session(self, registration_ref: str, ticket: str) -> QbwcSession | None:
        """The session a ticket names, if it was issued for this registration's URL."""
        if not ticket:
            return None
        session = self._get(session_id_for(ticket))
        if session is None or session.registration_id != registration_ref:
            return None
        return session

    # -- authenticate --------------------------------------------------------------------------

    def qbwc_authenticate(self, registration_ref: str, username: str, password: str) -> list[str]:
        """authenticate: [ticket, "" or the company file path, postpone, min-run seconds], or
        [ticket, nvu|none|busy, ...] with the 90xxx code in the last slot for `nvu`."""
        now = self.clock()
        ticket = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
        registration = self._registration_or_none(registration_ref)
        session = QbwcSession(
            id=session_id_for(ticket),
            registration_id=registration_ref,
            connector_id=registration.connector_id if registration else None,
            username=username,
            opened_at=now,
        )
        to_save: list[Aggregate] = [session]
        refusal = self._check_credentials(registration, username, password, now, to_save)
        if refusal is not None:
            session.refuse(refusal.code, refusal.reason, now)
            self.save(*to_save)
            return [ticket, "nvu", "", refusal.every_min_seconds]
        assert registration is not None
        connector: WebConnector = self.repository.get(registration.connector_id)
        minutes = str(connector.auto_run_minutes * 60)
        slot = self._slot(connector.id)
        to_save.append(slot)
        if slot.session_id is not None:
            holder: QbwcSession = self.repository.get(slot.session_id)
            if (
                holder.is_open
                and not holder.is_idle_since(now)
                and (holder.registration_id != registration_ref)
            ):
                session.report_busy(holder.id, now)
                self.save(*to_save)
                return [ticket, "busy", str(BUSY_POSTPONE_SECONDS), ""]
            to_save += self._end_dead_session(holder, slot, now)
        lists = self._lists(connector.id)
        if not self._has_work(connector, lists, now):
            session.report_no_work(now)
            self.save(*to_save)
            return [ticket, "none", "", minutes]
        slot.occupy(session.id, registration_ref, now)
        path = str((connector.company_file or {}).get("path") or "")
        session.authenticate(path or None, now)
        self.save(*to_save)
        return [ticket, path, "", minutes]

    def _registration_or_none(self, registration_ref: str) -> Registration | None:
        try:
            registration = self._get(UUID(registration_ref))
        except ValueError:
            return None
        return registration if isinstance(registration, Registration) else None

    def _check_credentials(
        self,
        registration: Registration | None,
        username: str,
        password: str,
        now: datetime,
        to_save: list[Aggregate],
    ) -> codes.Refusal | None:
        """The first rule the call breaks, in the order the codes are documented."""
        if registration is None:
            return codes.Refusal(codes.REGISTRATION_UNKNOWN, "unknown .qwc registration")
        if registration.is_revoked:
            return codes.Refusal(
                codes.REGISTRATION_REVOKED, f"the .qwc was revoked: {registration.revoked_reason}"
            )
        account = self._account()
        if account.status == "inactive":
            return codes.Refusal(codes.ACCOUNT_INACTIVE, "the account is inactive")
        if account.status == "suspended":
            return codes.Refusal(codes.ACCOUNT_SUSPENDED, "the account is suspended")
        user: User | None = self._get(user_id(username))
        connector: WebConnector = self.repository.get(registration.connector_id)
        if user is None:
            return codes.Refusal(
                codes.NOT_CONNECTOR_USER,
                f"no user named {username!r} (web connector {connector.name!r} "
                f"communicates as {connector.api_username!r})",
            )
        if user.status == "inactive":
            return codes.Refusal(codes.USER_INACTIVE, f"user {user.username!r} is inactive")
        if user.status == "locked":
            return codes.Refusal(codes.USER_LOCKED, f"user {user.username!r} is locked")
        if not user.is_api_only or not user.tracking_id:
            return codes.Refusal(
                codes.NOT_API_USER,
                f"user {user.username!r} is not an API-only user with a tracking identifier",
            )
        if user.username.casefold() != connector.api_username.casefold():
            return codes.Refusal(
                codes.NOT_CONNECTOR_USER,
                f"{user.username!r} is not the API user of web connector "
                f"{connector.name!r} ({connector.api_username!r})",
            )
        if not passwords.verify_password(user.password_hash, password):
            left = user.record_failed_sign_in(account.lockout_attempts, now)
            to_save.append(user)
            return codes.Refusal(
                codes.WRONG_PASSWORD + left,
                f"wrong password for {user.username!r}; {left} attempts left",
            )
        if user.password_has_expired(now, account.password_expiry_days):
            code = (
                codes.PASSWORD_EXPIRED_STRONG
                if account.strong_passwords
                else codes.PASSWORD_EXPIRED
            )
            return codes.Refusal(code, f"the password of {user.username!r} has expired")
        user.record_sign_in(now)
        to_save.append(user)
        return None

    def _end_dead_session(
        self, holder: QbwcSession, slot: UpdateSlot, now: datetime
    ) -> list[Aggregate]:
        """The slot's session is over without having said so: abandon or expire it."""
        touched: list[Aggregate] = [holder]
        if holder.is_open and not holder.is_idle_since(now):
            # QBWC runs one update at a time, so a new authenticate means the old one died.
            holder.abandon("QBWC started a new update before closing this one", now)
        elif holder.is_open:
            holder.expire(now)
        if holder.in_flight is not None:
            exchange: Exchange = self.repository.get(holder.in_flight)
            exchange.mark_in_doubt("the session ended before QBWC delivered the answer", now)
            touched.append(exchange)
        slot.release(holder.id, holder.status, now)
        return touched

    def _has_work(self, connector: WebConnector, lists: QuickBooksLists, now: datetime) -> bool:
        if connector.company_file is None or lists.never_synced() or lists.deletions_due:
            return True
        last = lists.last_synced()
        return last is None or now - last >= LIST_REFRESH

    # -- sendRequestXML ------------------------------------------------------------------------

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
        session = self._live_session(registration_ref, ticket, now)
        if session is None:
            return ""
        if session.expected == RECEIVE and session.in_flight is not None:
            # QBWC never got the message it asks for again, so QuickBooks never saw it either.
            session.resend(session.in_flight, now)
            self.save(session)
            return next(iter(self.events.get(session.in_flight, lte=1))).request_xml
        if session.expected != SEND:
            return self._out_of_order(session, "sendRequestXML", now, "")
        connector: WebConnector = self.repository.get(session.connector_id)
        lists = self._lists(connector.id)
        to_save: list[Aggregate] = [session, connector, lists]
        if session.host is None:
            problem = check_company(
                session,
                connector,
                lists,
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
        planned = planner.next_message(
            session.steps,
            session.cursor,
            session.exchanges + 1,
            lists,
            session.qbxml_version or "13.0",
        )
        if planned is None:
            session.fail("Nothing is left to do in this session.", now)
            to_save += self._release(session, "completed", now)
            self.save(*to_save)
            return ""
        exchange = Exchange(
            id=uuid4(),
            session_id=session.id,
            connector_id=connector.id,
            seq=session.exchanges + 1,
            purpose=planned.purpose,
            request_ids=planned.request_ids,
            request_xml=planned.qbxml,
            sent_at=now,
        )
        session.send(exchange.id, planned.purpose, planned.cursor, now)
        self.save(*to_save, exchange)
        return planned.qbxml

    def _live_session(
        self,
        registration_ref: str,
        ticket: str,
        now: datetime,
    ) -> QbwcSession | None:
        """The open session for a ticket; expires it (and saves) when QBWC was idle too long."""
        session = self._session(registration_ref, ticket)
        if session is None or not session.is_open:
            return None
        if session.is_idle_since(now):
            session.expire(now)
            touched: list[Aggregate] = [session]
            touched += self._release(session, "expired", now)
            if session.in_flight is not None:
                exchange: Exchange = self.repository.get(session.in_flight)
                exchange.mark_in_doubt("the session expired before the answer came", now)
                touched.append(exchange)
            self.save(*touched)
            return None
        return session

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

    # -- receiveResponseXML --------------------------------------------------------------------

    def qbwc_receive_response(
        self, registration_ref: str, ticket: str, response: str, hresult: str, message: str
    ) -> int:
        """receiveResponseXML: 0-99 while work remains, 100 when done, negative to stop."""
        now = self.clock()
        digest = hashlib.sha256((response + "\0" + hresult).encode("utf-8")).hexdigest()
        session = self._session(registration_ref, ticket)
        if (
            session is not None
            and session.expected != RECEIVE
            and (session.last_response_digest == digest)
        ):
            return session.progress  # the same answer delivered twice: same reply, no change
        session = self._live_session(registration_ref, ticket, now)
        if session is None:
            return -1
        if session.expected != RECEIVE or session.in_flight is None:
            return self._out_of_order(session, "receiveResponseXML", now, -1)
        exchange: Exchange = self.repository.get(session.in_flight)
        lists = self._lists(session.connector_id)
        to_save: list[Aggregate] = [session, exchange, lists]
        cursor = dict(session.cursor)
        if hresult or not response:
            exchange.record_error(hresult, message, now)
            cursor["attempts"] = cursor.get("attempts", 0) + 1
            if cursor["attempts"] > MAX_HRESULT_RETRIES:
                session.receive(exchange.id, cursor, session.progress, digest, now)
                session.fail(
                    f"QuickBooks could not process the {session.step} request "
                    f"{cursor['attempts']} times in a row: {explain_hresult(hresult, message)}. "
                    "The session stopped; the next run tries again.",
                    now,
                )
                to_save += self._release(session, "failed", now)
                self.save(*to_save)
                return -1
            session.receive(exchange.id, cursor, session.progress, digest, now)
            self.save(*to_save)
            return session.progress
        exchange.record_response(response, now)
        try:
            parsed = parse_response(response)
        except QbxmlParseError as exc:
            session.fail(f"QBWC returned something that is not a qbXML response ({exc}).", now)
            to_save += self._release(session, "failed", now)
            self.save(*to_save)
            return -1
        cursor.pop("attempts", None)
        cursor = planner.absorb(session.steps, cursor, parsed, lists, now)
        done = planner.progress(session.steps, cursor)
        session.receive(exchange.id, cursor, done, digest, now)
        if done >= 100:
            to_save += self._release(session, "completed", now)
        self.save(*to_save)
        return done

    # -- connectionError, getLastError, closeConnection ----------------------------------------

    def qbwc_connection_error(
        self, registration_ref: str, ticket: str, hresult: str, message: str
    ) -> str:
        """connectionError: retry with the linked company file once, then "done"."""
        now = self.clock()
        session = self._live_session(registration_ref, ticket, now)
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
        connector: WebConnector = self.repository.get(session.connector_id)
        return str((connector.company_file or {}).get("path") or "")

    def qbwc_last_error(self, registration_ref: str, ticket: str) -> str:
        """getLastError: why the last call failed, in words (never empty)."""
        now = self.clock()
        session = self._session(registration_ref, ticket)
        if session is None:
            return UNKNOWN_TICKET
        if session.status == "refused" and session.refusal_code is not None:
            meaning, remedy = codes.describe(session.refusal_code)
            return f"{session.refusal_code}: {meaning}. {remedy}"
        text = session.last_error or "No error was recorded for this session."
        if session.expected == LAST_ERROR:
            session.show_error(now)
            self.save(session)
        return text

    def qbwc_close(self, registration_ref: str, ticket: str) -> str:
        """closeConnection: finish the session and say how it went."""
        now = self.clock()
        session = self._session(registration_ref, ticket)
        if session is None:
            return "OK"
        if (
            session.ended_at is not None
            and session.status != "open"
            and (session.status not in ("refused", "busy", "none", "failed"))
        ):
            return self._closing_words(session)
        result = (
            "completed"
            if session.status == "open" and session.progress >= 100
            else (session.status if session.status != "open" else "incomplete")
        )
        session.close(result, now)
        to_save: list[Aggregate] = [session, *self._release(session, result, now)]
        self.save(*to_save)
        return self._closing_words(session)

    def _closing_words(self, session: QbwcSession) -> str:
        if session.status == "refused" and session.refusal_code is not None:
            meaning, remedy = codes.describe(session.refusal_code)
            return f"{session.refusal_code}: {meaning}. {remedy}"
        if session.result == "completed":
            problems = session.cursor.get("problems", [])
            words = f"Sync completed: {session.exchanges} messages"
            return words + (
                f"; {len(problems)} problem(s): " + "; ".join(problems) if problems else "."
            )
        return session.last_error or f"Session {session.result or session.status}."

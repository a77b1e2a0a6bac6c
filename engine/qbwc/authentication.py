"""authenticate: who may run an update, the 90xxx codes, busy, none, and dead sessions."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from engine import passwords
from engine.aggregates import Registration, User, WebConnector
from engine.aggregates.exchange import Exchange
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.session import QbwcSession, session_id_for
from engine.aggregates.slot import UpdateSlot
from engine.aggregates.user import user_id
from engine.commanding import command
from engine.qbwc import codes
from engine.qbwc.support import SessionSupport

LIST_REFRESH = timedelta(minutes=60)
BUSY_POSTPONE_SECONDS = 300


class Authentication(SessionSupport):
    """The authenticate command."""

    @command
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
        connector: WebConnector | None = (
            self.repository.get(registration.connector_id) if registration else None
        )
        to_save: list[Aggregate] = [session]
        refusal = self._check_credentials(registration, connector, username, password, now, to_save)
        if refusal is not None:
            session.refuse(refusal.code, refusal.reason, now)
            self.save(*to_save)
            return [ticket, "nvu", "", refusal.every_min_seconds]
        assert registration is not None and connector is not None
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
        connector: WebConnector | None,
        username: str,
        password: str,
        now: datetime,
        to_save: list[Aggregate],
    ) -> codes.Refusal | None:
        """The first rule the call breaks, in the order the codes are documented."""
        if registration is None or connector is None:
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

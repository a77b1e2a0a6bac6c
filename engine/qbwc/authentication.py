"""authenticate: who may run an update, the 90xxx codes, busy, none, and dead sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from eventsourcing.domain import Aggregate

from engine.aggregates import Registration, User, WebConnector
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.session import QbwcSession, session_id_for
from engine.aggregates.slot import UpdateSlot
from engine.aggregates.user import user_id
from engine.commanding import command
from engine.loading import load
from engine.qbwc import codes
from engine.qbwc.support import SessionSupport, recorded_ref
from engine.text import bounded, excerpt, unstorable

LIST_REFRESH = timedelta(minutes=60)
MAX_RECORDED_USERNAME = 64
BUSY_POSTPONE_SECONDS = 300


class Authentication(SessionSupport):
    """The authenticate command."""

    def qbwc_authenticate(self, registration_ref: str, username: str, password: str) -> list[str]:
        """authenticate: [ticket, "" or the company file path, postpone, min-run seconds], or
        [ticket, nvu|none|busy, ...] with the 90xxx code in the last slot for `nvu`. The
        password is checked once, before the command (and its retries under contention) runs,
        so a burst of guesses costs one scrypt each and every one of them is counted; the
        saved password of a Web Connector that polls is checked from memory once it has been
        verified (passwords.RecentlyVerified)."""
        return self._authenticate(
            registration_ref, username, self._password_verdict(username, password)
        )

    def _password_verdict(self, username: str, password: str) -> bool | None:
        """Whether `password` is the user's (None: no such user to check it against)."""
        if unstorable(username) is not None:
            return None
        user = self._get(user_id(username))
        if not isinstance(user, User) or not user.password_hash:
            return None
        if unstorable(password) is not None:
            return False  # no password of ours holds such a character
        return self.recently_verified.verify(user.password_hash, password)

    @command(attempts=64)
    def _authenticate(
        self, registration_ref: str, username: str, verdict: bool | None
    ) -> list[str]:
        now = self.clock()
        registration = self._registration_or_none(registration_ref)
        connector: WebConnector | None = (
            self.repository.get(registration.connector_id) if registration else None
        )
        to_save: list[Aggregate] = []
        refusal = self._check_credentials(registration, connector, username, verdict, now, to_save)
        if refusal is not None:
            return self._refuse(registration_ref, registration, username, refusal, now, to_save)
        assert registration is not None and connector is not None
        ticket = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
        session = self._open_session(ticket, registration_ref, registration, username, now)
        to_save.append(session)
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

    def _open_session(
        self,
        ticket: str,
        registration_ref: str,
        registration: Registration | None,
        username: str,
        now: datetime,
    ) -> QbwcSession:
        return QbwcSession(
            id=session_id_for(ticket),
            registration_id=recorded_ref(registration_ref),
            connector_id=registration.connector_id if registration else None,
            username=bounded(username, MAX_RECORDED_USERNAME),
            opened_at=now,
        )

    def _refuse(
        self,
        registration_ref: str,
        registration: Registration | None,
        username: str,
        refusal: codes.Refusal,
        now: datetime,
        to_save: list[Aggregate],
    ) -> list[str]:
        """Answer `nvu` with the code. Anyone who can reach the endpoint can be refused, so a
        refusal is recorded once per registration (all unknown ones together), code and hour:
        repeats get the same ticket, whose getLastError explains the code, and store nothing
        (a wrong password still counts on its user)."""
        source = str(registration.id) if registration is not None else "unknown registrations"
        hour = now.replace(minute=0, second=0, microsecond=0).isoformat()
        key = f"qbtransfer:/qbwc/refusals/{source}/{refusal.code}/{hour}"
        ticket = "refused-" + hashlib.sha256(key.encode()).hexdigest()
        if self._get(session_id_for(ticket)) is None:
            session = self._open_session(ticket, registration_ref, registration, username, now)
            session.refuse(refusal.code, refusal.reason, now)
            to_save.append(session)
        if to_save:
            self.save(*to_save)
        return [ticket, "nvu", "", refusal.every_min_seconds]

    def _registration_or_none(self, registration_ref: str) -> Registration | None:
        return load(self.repository, registration_ref, Registration)

    def _check_credentials(
        self,
        registration: Registration | None,
        connector: WebConnector | None,
        username: str,
        verdict: bool | None,
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
        user: User | None = None if unstorable(username) else self._get(user_id(username))
        if user is None:
            return codes.Refusal(
                codes.NOT_CONNECTOR_USER,
                f"no user named {excerpt(username)} (web connector {connector.name!r} "
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
        if not verdict:
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
        if not holder.is_open:
            slot.release(holder.id, holder.status, now)
            return []
        if holder.is_idle_since(now):
            holder.expire(now)
        else:
            # QBWC runs one update at a time, so a new authenticate means the old one died.
            holder.abandon("QBWC started a new update before closing this one", now)
        # The caller saves the slot it holds: leave it out of what is returned.
        return [a for a in self._ended_unanswered(holder, now, slot) if a is not slot]

    def _has_work(self, connector: WebConnector, lists: QuickBooksLists, now: datetime) -> bool:
        if connector.company_file is None or lists.never_synced() or lists.deletions_due:
            return True
        if lists.refresh_pending:
            return True
        if connector.sync_inventory_requested:
            return True
        if self.queue is not None and any(
            on and self.queue.open_transfers(connector.id, kind, 1)
            for kind, on in connector.transfers.items()
        ):
            return True
        last = lists.last_synced()
        return last is None or now - last >= LIST_REFRESH

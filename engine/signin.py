"""Signing in to the admin pages: admin users only, with the account's lockout policy, as QBWC's
sign-ins have it (a wrong password counts on its user; enough of them lock it)."""

from __future__ import annotations

from typing import Any

from engine import passwords, views
from engine.aggregates import User
from engine.aggregates.user import user_id
from engine.commanding import command
from engine.core import Needs
from engine.errors import DomainError
from engine.text import unstorable


class SignInRefused(DomainError):
    """The admin pages refuse this username and password."""

    code = "sign_in_refused"
    status = 401


WRONG = "wrong username or password"


class AdminSignIn(Needs):
    """The admin sign-in command of the TransferEngine."""

    def sign_in_admin(self, username: str, password: str) -> dict[str, Any]:
        """The admin user these credentials name (its view), or SignInRefused saying why. The
        password is checked once, before the command runs (and its retries under
        contention), so each guess costs one scrypt and is counted."""
        user = self._user_or_none(username)
        verdict = (
            user is not None
            and user.password_hash is not None
            and unstorable(password) is None
            and passwords.verify_password(user.password_hash, password)
        )
        return self._sign_in(username, verdict)

    def _user_or_none(self, username: str) -> User | None:
        if not username or unstorable(username) is not None:
            return None
        found = self._get(user_id(username.strip()))
        return found if isinstance(found, User) else None

    @command
    def _sign_in(self, username: str, verdict: bool) -> dict[str, Any]:
        now, account = self.clock(), self._account()
        user = self._user_or_none(username)
        if user is None:
            raise SignInRefused(WRONG)
        if user.status == "locked":
            raise SignInRefused(
                f"user {user.username!r} is locked after too many wrong passwords; another "
                "admin unlocks it (qbtransfer users set NAME --status active)"
            )
        if user.status == "inactive":
            raise SignInRefused(f"user {user.username!r} is inactive")
        if not verdict:
            left = user.record_failed_sign_in(account.lockout_attempts, now)
            self.save(user)
            if left == 0:
                raise SignInRefused(f"{WRONG}; user {user.username!r} is now locked")
            raise SignInRefused(f"{WRONG}; {left} attempts left before the user is locked")
        if user.is_api_only:
            raise SignInRefused(
                f"{user.username!r} is an API-only user: API-only users talk to QuickBooks "
                "and the API, and cannot sign in to the admin pages"
            )
        if user.password_has_expired(now, account.password_expiry_days):
            raise SignInRefused(
                f"the password of {user.username!r} has expired; set a new one with "
                "qbtransfer users set NAME --password-stdin"
            )
        user.record_sign_in(now)
        self.save(user)
        return views.user_view(user, account, now)

"""Users: the administrators who configure the engine and the API users QBWC logs in as."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from engine.errors import InvalidValue
from engine.text import excerpt

SECURITY_LEVELS = ("admin", "api_only")
USER_STATUSES = ("active", "inactive", "locked")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
TRACKING_ID_MAX = 100
DISPLAY_NAME_MAX = 100


def user_id(username: str) -> UUID:
    """The id of the user named `username`, whatever its case."""
    return uuid5(NAMESPACE_URL, f"qbtransfer:/users/{username.casefold()}")


def check_username(username: str) -> None:
    """Refuse a username QBWC or our URLs could not carry unambiguously."""
    if not USERNAME_PATTERN.match(username):
        raise InvalidValue(
            f"username {excerpt(username)} is not valid: use 1 to 64 letters, digits or . _ @ + -, "
            "starting with a letter or digit"
        )


class User(Aggregate):
    """A person or integration that signs in; QBWC signs in as an API-only user."""

    class Created(Aggregate.Created):
        username: str
        display_name: str
        security_level: str
        tracking_id: str | None
        created_at: datetime

    class PasswordSet(Aggregate.Event):
        password_hash: str
        set_at: datetime

        def apply(self, user: User) -> None:
            user.password_hash = self.password_hash
            user.password_set_at = self.set_at
            user.password_expired = False
            user.failed_attempts = 0

    # -- events ------------------------------------------------------------------------

    class StatusChanged(Aggregate.Event):
        status: str

    class PasswordExpired(Aggregate.Event):
        pass

    class SignInFailed(Aggregate.Event):
        attempts_left: int
        at: datetime

    class FailedAttemptsCleared(Aggregate.Event):
        at: datetime

    @staticmethod
    def create_id(username: str) -> UUID:
        return user_id(username)

    @event(Created)
    def __init__(
        self,
        username: str,
        display_name: str,
        security_level: str,
        tracking_id: str | None,
        created_at: datetime,
    ) -> None:
        self.username = username
        self.display_name = display_name
        self.security_level = security_level
        self.tracking_id = tracking_id
        self.created_at = created_at
        self.status = "active"
        self.password_hash: str | None = None
        self.password_set_at: datetime | None = None
        self.password_expired = False
        self.failed_attempts = 0

    def __repr__(self) -> str:
        return f"User(username={self.username!r}, status={self.status!r})"

    @classmethod
    def create(
        cls,
        username: str,
        *,
        security_level: str,
        tracking_id: str | None,
        display_name: str | None,
        now: datetime,
    ) -> User:
        """A new user, after checking the rules for its level."""
        check_username(username)
        if security_level not in SECURITY_LEVELS:
            raise InvalidValue(
                f"security level must be one of {', '.join(SECURITY_LEVELS)}, "
                f"not {excerpt(security_level)}"
            )
        tracking_id = (tracking_id or "").strip() or None
        if security_level == "api_only" and tracking_id is None:
            raise InvalidValue(
                "an API-only user needs a tracking identifier (the integration vendor or a "
                "custom identifier)"
            )
        if tracking_id is not None and len(tracking_id) > TRACKING_ID_MAX:
            raise InvalidValue(
                f"the tracking identifier is longer than {TRACKING_ID_MAX} characters"
            )
        display_name = (display_name or "").strip() or username
        if len(display_name) > DISPLAY_NAME_MAX:
            raise InvalidValue(f"the display name is longer than {DISPLAY_NAME_MAX} characters")
        return cls(
            username=username,
            display_name=display_name,
            security_level=security_level,
            tracking_id=tracking_id,
            created_at=now,
        )

    # -- questions -------------------------------------------------------------------------

    @property
    def is_api_only(self) -> bool:
        return self.security_level == "api_only"

    def can_talk_to_quickbooks(self) -> str | None:
        """Why this user cannot be a connector's "Communicate with QuickBooks As" user, or None."""
        if not self.is_api_only:
            return f"user {self.username!r} is not an API-only user"
        if not self.tracking_id:
            return f"user {self.username!r} has no tracking identifier"
        if self.status != "active":
            return f"user {self.username!r} is {self.status}"
        return None

    def password_has_expired(self, now: datetime, expiry_days: int | None) -> bool:
        """True when the password was expired by hand or is older than the policy allows."""
        if self.password_expired:
            return True
        if expiry_days and self.password_set_at is not None:
            return now - self.password_set_at > timedelta(days=expiry_days)
        return False

    # -- verbs -----------------------------------------------------------------------------

    def set_password(self, password_hash: str, now: datetime) -> None:
        """Store a new password hash; a new password is not expired and clears failed attempts."""
        self.trigger_event(self.PasswordSet, password_hash=password_hash, set_at=now)

    def change_status(self, status: str) -> None:
        """Activate, deactivate or lock the user; activating clears failed attempts."""
        if status not in USER_STATUSES:
            raise InvalidValue(
                f"user status must be one of {', '.join(USER_STATUSES)}, not {excerpt(status)}"
            )
        if status != self.status:
            self._status_changed(status=status)

    @event(StatusChanged)
    def _status_changed(self, status: str) -> None:
        self.status = status
        if status == "active":
            self.failed_attempts = 0

    @event(PasswordExpired)
    def expire_password(self) -> None:
        """Force a password change before the next sign-in."""
        self.password_expired = True

    def record_failed_sign_in(self, lockout_attempts: int, at: datetime) -> int:
        """Count a wrong password; returns the attempts left. Reaching zero locks the user."""
        attempts_left = max(lockout_attempts - (self.failed_attempts + 1), 0)
        self._sign_in_failed(attempts_left=attempts_left, at=at)
        return attempts_left

    @event(SignInFailed)
    def _sign_in_failed(self, attempts_left: int, at: datetime) -> None:
        self.failed_attempts += 1
        if attempts_left == 0:
            self.status = "locked"

    def record_sign_in(self, at: datetime) -> None:
        """A correct password clears the failed-attempt count (recorded only when there is one)."""
        if self.failed_attempts:
            self._failed_attempts_cleared(at=at)

    @event(FailedAttemptsCleared)
    def _failed_attempts_cleared(self, at: datetime) -> None:
        self.failed_attempts = 0


def _masked_password_set_repr(self: User.PasswordSet) -> str:
    return f"User.PasswordSet(originator_id={self.originator_id!r}, set_at={self.set_at})"


# The hash must never reach a log line. Set after the class body because eventsourcing
# re-derives nested event classes as dataclasses, which would replace a __repr__ defined inside.
User.PasswordSet.__repr__ = _masked_password_set_repr  # type: ignore[method-assign,assignment]

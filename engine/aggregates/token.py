"""Admin API tokens, stored as digests only."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from engine.errors import Conflict, InvalidValue

TOKEN_NAME_MAX = 80
USE_GRAIN = timedelta(hours=1)  # how precisely "last used" is recorded


def token_id(digest: str) -> UUID:
    """The id of the token whose SHA-256 digest is `digest`: a lookup needs no index."""
    return uuid5(NAMESPACE_URL, f"qbtransfer:/tokens/{digest}")


class ApiToken(Aggregate):
    """A bearer token for the JSON API; the token itself is shown once and never stored."""

    # -- events ------------------------------------------------------------------------

    class Created(Aggregate.Created):
        name: str
        digest: str
        created_at: datetime

    class Revoked(Aggregate.Event):
        at: datetime

    class Used(Aggregate.Event):
        at: datetime

    @staticmethod
    def create_id(name: str, digest: str, created_at: datetime) -> UUID:
        return token_id(digest)

    @classmethod
    def issue(cls, name: str, digest: str, now: datetime) -> ApiToken:
        """A new token named `name` for the token whose digest is `digest`."""
        name = name.strip()
        if not name or len(name) > TOKEN_NAME_MAX or any(ord(ch) < 32 for ch in name):
            raise InvalidValue(
                f"a token needs a name of 1 to {TOKEN_NAME_MAX} printable characters"
            )
        return cls(name=name, digest=digest, created_at=now)

    @event(Created)
    def __init__(self, name: str, digest: str, created_at: datetime) -> None:
        self.name = name
        self.digest = digest
        self.created_at = created_at
        self.revoked_at: datetime | None = None
        self.last_used_at: datetime | None = None

    def __repr__(self) -> str:
        return f"ApiToken(name={self.name!r})"

    def revoke(self, now: datetime) -> None:
        """Make the token stop working."""
        if self.revoked_at is not None:
            raise Conflict(f"token {self.name!r} was already revoked on {self.revoked_at:%Y-%m-%d}")
        self._revoked(at=now)

    @event(Revoked)
    def _revoked(self, at: datetime) -> None:
        self.revoked_at = at

    def note_use(self, now: datetime) -> bool:
        """Remember that the token was used: at most once per USE_GRAIN, so an API client's
        every call does not become an event. True when something was recorded."""
        last = getattr(self, "last_used_at", None)  # tokens from before this field existed
        if last is not None and now - last < USE_GRAIN:
            return False
        self._used(at=now)
        return True

    @event(Used)
    def _used(self, at: datetime) -> None:
        self.last_used_at = at

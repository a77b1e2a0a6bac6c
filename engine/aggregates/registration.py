"""Registrations: one per downloaded .qwc file.

The registration id travels in the .qwc's AppURL (`{PUBLIC_URL}/qbwc/{id}`), so every SOAP call
says which connector and which downloaded file it belongs to.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from engine.errors import Conflict


class Registration(Aggregate):
    """A downloaded .qwc: which connector, for which API user, downloaded by whom and when."""

    # -- events ------------------------------------------------------------------------

    class Issued(Aggregate.Created):
        connector_id: UUID
        username: str
        app_name: str
        app_url: str
        issued_by: str
        issued_at: datetime

    class Revoked(Aggregate.Event):
        reason: str
        revoked_by: str
        revoked_at: datetime

    @event(Issued)
    def __init__(
        self,
        id: UUID,  # noqa: A002 - chosen by the caller: it is already in the .qwc's AppURL
        connector_id: UUID,
        username: str,
        app_name: str,
        app_url: str,
        issued_by: str,
        issued_at: datetime,
    ) -> None:
        self.connector_id = connector_id
        self.username = username
        self.app_name = app_name
        self.app_url = app_url
        self.issued_by = issued_by
        self.issued_at = issued_at
        self.revoked_at: datetime | None = None
        self.revoked_reason: str | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self, reason: str, revoked_by: str, now: datetime) -> None:
        """Stop this .qwc from working; QBWC then gets code 90101 (download the .qwc again)."""
        if self.is_revoked:
            raise Conflict(f"registration {self.id} was already revoked ({self.revoked_reason})")
        self._revoked(reason=reason, revoked_by=revoked_by, revoked_at=now)

    @event(Revoked)
    def _revoked(self, reason: str, revoked_by: str, revoked_at: datetime) -> None:
        self.revoked_at = revoked_at
        self.revoked_reason = reason

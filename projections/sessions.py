"""The sessions read model: one row per QBWC session, for `qbtransfer sessions list` and the
connection log. The detail of a session (every exchange, word for word) is read from the event
store itself."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from engine.aggregates.session import QbwcSession
from projections.base import ReadModelView


class SessionsView(ReadModelView):
    """Writes and queries of the sessions read model."""

    TABLES: ClassVar[dict[str, str]] = {
        "sessions": "id TEXT PRIMARY KEY, connector_id TEXT, registration_id TEXT, "
        "username TEXT, started TEXT, ended TEXT, status TEXT, result TEXT, "
        "refusal_code INTEGER, exchanges INTEGER NOT NULL DEFAULT 0, "
        "last_error TEXT, company_file TEXT",
    }
    INDEXES: ClassVar[dict[str, str]] = {
        "sessions_by_connector": "sessions (connector_id, started)"
    }

    def opened(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "INSERT INTO {sessions} (id, connector_id, registration_id, username, started, "
                "status) VALUES (?, ?, ?, ?, ?, 'opening')",
                (
                    str(event.originator_id),
                    str(event.connector_id) if event.connector_id else None,
                    event.registration_id,
                    event.username,
                    event.opened_at.isoformat(),
                ),
                False,
            ),
        )

    def update(self, event: Any, tracking: Tracking, **columns: Any) -> None:
        self.set_columns(tracking, "sessions", str(event.originator_id), **columns)

    def closed(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "UPDATE {sessions} SET status = CASE WHEN status = 'open' THEN 'closed' "
                "ELSE status END, result = COALESCE(result, ?), ended = COALESCE(ended, ?) "
                "WHERE id = ?",
                (event.result, event.at.isoformat(), str(event.originator_id)),
                False,
            ),
        )

    def count_exchange(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "UPDATE {sessions} SET exchanges = exchanges + 1 WHERE id = ?",
                (str(event.originator_id),),
                False,
            ),
        )

    def ids_starting(self, prefix: str, limit: int = 4) -> list[str]:
        """Session ids that start with `prefix` (hex digits and dashes), at most `limit`."""
        rows = self.query(
            "SELECT id FROM {sessions} WHERE id LIKE ? ORDER BY id LIMIT ?",
            (prefix.lower().replace("%", "").replace("_", "") + "%", limit),
        )
        return [row["id"] for row in rows]

    def sessions(self, connector_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest sessions, newest first."""
        where, params = ("WHERE connector_id = ? ", (connector_id,)) if connector_id else ("", ())
        return self.query(
            f"SELECT * FROM {{sessions}} {where}ORDER BY started DESC LIMIT ?", (*params, limit)
        )


S = QbwcSession


class SessionsProjection(Projection[SessionsView]):
    """Follows QbwcSession events into the sessions read model."""

    name = "Sessions"
    topics = tuple(
        get_topic(e)
        for e in (
            S.Opened,
            S.Authenticated,
            S.AuthenticationRefused,
            S.FoundBusy,
            S.FoundNoWork,
            S.CompanyChecked,
            S.RequestSent,
            S.Failed,
            S.ConnectionErrorReported,
            S.Closed,
            S.Abandoned,
            S.Expired,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: DomainEventProtocol, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: S.Opened, tracking: Tracking) -> None:
        self.view.opened(e, tracking)

    @process_event.register
    def _(self, e: S.Authenticated, tracking: Tracking) -> None:
        self.view.update(e, tracking, status="open")

    @process_event.register
    def _(self, e: S.AuthenticationRefused, tracking: Tracking) -> None:
        self.view.update(
            e,
            tracking,
            status="refused",
            result="refused",
            refusal_code=e.code,
            last_error=e.reason,
            ended=e.at.isoformat(),
        )

    @process_event.register
    def _(self, e: S.FoundBusy, tracking: Tracking) -> None:
        self.view.update(e, tracking, status="busy", result="busy", ended=e.at.isoformat())

    @process_event.register
    def _(self, e: S.FoundNoWork, tracking: Tracking) -> None:
        self.view.update(e, tracking, status="none", result="none", ended=e.at.isoformat())

    @process_event.register
    def _(self, e: S.CompanyChecked, tracking: Tracking) -> None:
        self.view.update(e, tracking, company_file=e.company_file)

    @process_event.register
    def _(self, e: S.RequestSent, tracking: Tracking) -> None:
        self.view.count_exchange(e, tracking)

    @process_event.register
    def _(self, e: S.Failed, tracking: Tracking) -> None:
        self.view.update(e, tracking, status="failed", last_error=e.message)

    @process_event.register
    def _(self, e: S.ConnectionErrorReported, tracking: Tracking) -> None:
        columns = {"last_error": e.message}
        if not e.retry:
            columns.update(status="failed", ended=e.at.isoformat())
        self.view.update(e, tracking, **columns)

    @process_event.register
    def _(self, e: S.Closed, tracking: Tracking) -> None:
        self.view.closed(e, tracking)

    @process_event.register
    def _(self, e: S.Abandoned, tracking: Tracking) -> None:
        self.view.update(e, tracking, status="abandoned", result=e.reason, ended=e.at.isoformat())

    @process_event.register
    def _(self, e: S.Expired, tracking: Tracking) -> None:
        self.view.update(e, tracking, status="expired", result="expired", ended=e.at.isoformat())

"""The notices read model: what the scheduler's notifier decides from (the transfer failures
of each session that ended, authentication that started failing, inventory syncs that failed)
and what it decided and delivered. One runner writes it, in log order, so when it has seen a
session end it has seen every failure of that session."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from engine.aggregates.inventory_sync import InventorySync
from engine.aggregates.notice import Notice
from engine.aggregates.session import QbwcSession as S
from engine.aggregates.transfer import Transfer as T
from engine.notices import reported_as
from projections.base import ReadModelView, Statement


class NoticesView(ReadModelView):
    """Writes and queries of the notices read model."""

    TABLES: ClassVar[dict[str, str]] = {
        "known_transfers": "id TEXT PRIMARY KEY, kind TEXT NOT NULL, psa_id TEXT NOT NULL, "
        "number TEXT, party TEXT",
        "known_sessions": "id TEXT PRIMARY KEY, connector_id TEXT NOT NULL",
        "known_syncs": "id TEXT PRIMARY KEY, connector_id TEXT NOT NULL",
        # One row per failed attempt made in a session (refused before QuickBooks included).
        "failures": "seq BIGINT PRIMARY KEY, session_id TEXT NOT NULL, connector_id TEXT, "
        "transfer_id TEXT NOT NULL, kind TEXT, psa_id TEXT, number TEXT, party TEXT, "
        "code INTEGER, message TEXT NOT NULL, at TEXT NOT NULL",
        "endings": "session_id TEXT PRIMARY KEY, connector_id TEXT NOT NULL, "
        "ended_at TEXT NOT NULL, how TEXT NOT NULL",
        # Something to tell the connector's addresses about that is not a session's digest.
        "alerts": "key TEXT PRIMARY KEY, connector_id TEXT NOT NULL, topic TEXT NOT NULL, "
        "code INTEGER, message TEXT NOT NULL, session_id TEXT, at TEXT NOT NULL",
        # The 90xxx code a connector's sign-ins fail with now (none: they succeed).
        "authentication": "connector_id TEXT PRIMARY KEY, failing_code INTEGER, since TEXT",
        "notices": "id TEXT PRIMARY KEY, key TEXT NOT NULL, connector_id TEXT NOT NULL, "
        "topic TEXT NOT NULL, decided_at TEXT NOT NULL, owed INTEGER NOT NULL, "
        "delivered_at TEXT, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, "
        "updated_at TEXT NOT NULL",
        # What each notice reported, for "not again within 24 hours".
        "reported": "notice_id TEXT NOT NULL, connector_id TEXT NOT NULL, topic TEXT NOT NULL, "
        "subject TEXT NOT NULL, code INTEGER, message TEXT NOT NULL, at TEXT NOT NULL",
    }
    INDEXES: ClassVar[dict[str, str]] = {
        "failures_by_session": "failures (session_id)",
        "endings_by_time": "endings (ended_at)",
        "notices_by_key": "notices (key)",
        "notices_owed": "notices (owed, delivered_at)",
        "reported_by_subject": "reported (connector_id, subject, at)",
    }

    # -- writes (the runner only) ----------------------------------------------------------------

    def put(self, tracking: Tracking, *statements: Statement) -> None:
        self.write(tracking, *statements)

    def failure(self, event: Any, tracking: Tracking) -> None:
        """A failed attempt of a transfer in a session."""
        self.write(
            tracking,
            (
                "INSERT INTO {failures} (seq, session_id, connector_id, transfer_id, kind, "
                "psa_id, number, party, code, message, at) SELECT ?, ?, s.connector_id, ?, "
                "t.kind, t.psa_id, t.number, t.party, ?, ?, ? FROM {known_transfers} t "
                "LEFT JOIN {known_sessions} s ON s.id = ? WHERE t.id = ?",
                (
                    tracking.notification_id,
                    str(event.session_id),
                    str(event.originator_id),
                    event.code,
                    event.message,
                    event.at.isoformat(),
                    str(event.session_id),
                    str(event.originator_id),
                ),
                False,
            ),
        )

    def ended(self, event: Any, tracking: Tracking, how: str) -> None:
        """A session ended (the first ending counts: a failed session may still be closed)."""
        self.write(
            tracking,
            (
                "INSERT INTO {endings} (session_id, connector_id, ended_at, how) "
                "SELECT id, connector_id, ?, ? FROM {known_sessions} WHERE id = ? "
                "ON CONFLICT (session_id) DO NOTHING",
                (event.at.isoformat(), how, str(event.originator_id)),
                False,
            ),
        )

    def signed_in(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "UPDATE {authentication} SET failing_code = NULL, since = ? WHERE connector_id = "
                "(SELECT connector_id FROM {known_sessions} WHERE id = ?)",
                (event.at.isoformat(), str(event.originator_id)),
                False,
            ),
        )

    def refused(self, event: Any, tracking: Tracking) -> None:
        """A sign-in refused with a 90xxx code: an alert when the connector's sign-ins were
        not failing already (a wrong password's code counts down the attempts left: each is
        the same failure going on)."""
        session_id = str(event.originator_id)
        rows = self.query(
            "SELECT s.connector_id, a.failing_code FROM {known_sessions} s LEFT JOIN "
            "{authentication} a ON a.connector_id = s.connector_id WHERE s.id = ?",
            (session_id,),
        )
        if not rows or rows[0]["failing_code"] is not None:  # failing already: told once
            self.insert_tracking(tracking)
            return
        connector_id, at = rows[0]["connector_id"], event.at.isoformat()
        self.write(
            tracking,
            (
                "INSERT INTO {authentication} (connector_id, failing_code, since) VALUES "
                "(?, ?, ?) ON CONFLICT (connector_id) DO UPDATE SET "
                "failing_code = excluded.failing_code, since = excluded.since",
                (connector_id, event.code, at),
                False,
            ),
            (
                "INSERT INTO {alerts} (key, connector_id, topic, code, message, session_id, at) "
                "VALUES (?, ?, 'authentication', ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (
                    f"authentication/{connector_id}/{session_id}",
                    connector_id,
                    event.code,
                    event.reason,
                    session_id,
                    at,
                ),
                False,
            ),
        )

    def inventory_finished(self, event: Any, tracking: Tracking) -> None:
        if event.outcome != "failed":
            self.insert_tracking(tracking)
            return
        self.write(
            tracking,
            (
                "INSERT INTO {alerts} (key, connector_id, topic, code, message, session_id, at) "
                "SELECT ?, connector_id, 'inventory', NULL, ?, ?, ? FROM {known_syncs} "
                "WHERE id = ? ON CONFLICT (key) DO NOTHING",
                (
                    f"inventory/{event.originator_id}/{tracking.notification_id}",
                    event.message,
                    str(event.session_id) if event.session_id else None,
                    event.at.isoformat(),
                    str(event.originator_id),
                ),
                False,
            ),
        )

    def decided(self, event: Any, tracking: Tracking) -> None:
        notice_id, at = str(event.originator_id), event.at.isoformat()
        owed = 1 if event.items and event.recipients else 0
        reported = [
            (notice_id, str(event.connector_id), *reported_as(event.topic, item), at)
            for item in event.items
        ]
        self.write(
            tracking,
            (
                "INSERT INTO {notices} (id, key, connector_id, topic, decided_at, owed, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (notice_id, event.key, str(event.connector_id), event.topic, at, owed, at),
                False,
            ),
            (
                "INSERT INTO {reported} (notice_id, connector_id, topic, subject, code, "
                "message, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                reported,
                True,
            ),
        )

    def delivery(self, event: Any, tracking: Tracking, **columns: Any) -> None:
        self.set_columns(
            tracking,
            "notices",
            str(event.originator_id),
            **columns,
            updated_at=event.at.isoformat(),
        )

    # -- queries -----------------------------------------------------------------------------

    def undecided_sessions(self, since: str, limit: int = 100) -> list[dict[str, Any]]:
        """Sessions that ended at `since` or later with failures, and no notice yet."""
        return self.query(
            "SELECT e.session_id, e.connector_id, e.ended_at, e.how FROM {endings} e "
            "WHERE e.ended_at >= ? "
            "AND EXISTS (SELECT 1 FROM {failures} f WHERE f.session_id = e.session_id) "
            "AND NOT EXISTS (SELECT 1 FROM {notices} n WHERE n.key = 'sessions/' || e.session_id) "
            "ORDER BY e.ended_at LIMIT ?",
            (since, limit),
        )

    def failures_of(self, session_id: str) -> list[dict[str, Any]]:
        """A session's failures, in the order they happened."""
        return self.query(
            "SELECT * FROM {failures} WHERE session_id = ? ORDER BY seq", (session_id,)
        )

    def undecided_alerts(self, since: str, limit: int = 100) -> list[dict[str, Any]]:
        """Alerts raised at `since` or later with no notice yet."""
        return self.query(
            "SELECT * FROM {alerts} a WHERE a.at >= ? AND NOT EXISTS (SELECT 1 FROM {notices} n "
            "WHERE n.key = a.key) ORDER BY a.at LIMIT ?",
            (since, limit),
        )

    def reported_since(self, connector_id: str, since: str) -> set[tuple[str, str, Any, str]]:
        """(topic, subject, code, message) of what was reported about a connector since."""
        rows = self.query(
            "SELECT topic, subject, code, message FROM {reported} WHERE connector_id = ? "
            "AND at >= ?",
            (connector_id, since),
        )
        return {(r["topic"], r["subject"], r["code"], r["message"]) for r in rows}

    def owed(self, limit: int = 100) -> list[dict[str, Any]]:
        """Notices whose message has not gone yet, the oldest first."""
        return self.query(
            "SELECT * FROM {notices} WHERE owed = 1 AND delivered_at IS NULL "
            "ORDER BY decided_at LIMIT ?",
            (limit,),
        )

    def notices(self, connector_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest notices, newest first."""
        where, params = ("WHERE connector_id = ? ", [connector_id]) if connector_id else ("", [])
        return self.query(
            f"SELECT * FROM {{notices}} {where}ORDER BY decided_at DESC LIMIT ?", (*params, limit)
        )


class NoticesProjection(Projection[NoticesView]):
    """Follows sessions, transfer failures, inventory syncs and notices into the notices
    read model."""

    name = "Notices"
    topics = tuple(
        get_topic(e)
        for e in (
            T.Queued,
            T.Failed,
            S.Opened,
            S.Authenticated,
            S.AuthenticationRefused,
            S.Failed,
            S.Closed,
            S.Abandoned,
            S.Expired,
            InventorySync.Created,
            InventorySync.Finished,
            Notice.Decided,
            Notice.Delivered,
            Notice.DeliveryFailed,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: DomainEventProtocol, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: T.Queued, tracking: Tracking) -> None:
        self.view.put(
            tracking,
            (
                "INSERT INTO {known_transfers} (id, kind, psa_id, number, party) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (str(e.originator_id), e.kind, e.psa_id, e.number, e.party),
                False,
            ),
        )

    @process_event.register
    def _(self, e: T.Failed, tracking: Tracking) -> None:
        if e.session_id is None:
            self.view.insert_tracking(tracking)
        else:
            self.view.failure(e, tracking)

    @process_event.register
    def _(self, e: S.Opened, tracking: Tracking) -> None:
        if e.connector_id is None:
            self.view.insert_tracking(tracking)
            return
        self.view.put(
            tracking,
            (
                "INSERT INTO {known_sessions} (id, connector_id) VALUES (?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (str(e.originator_id), str(e.connector_id)),
                False,
            ),
        )

    @process_event.register
    def _(self, e: S.Authenticated, tracking: Tracking) -> None:
        self.view.signed_in(e, tracking)

    @process_event.register
    def _(self, e: S.AuthenticationRefused, tracking: Tracking) -> None:
        self.view.refused(e, tracking)

    @process_event.register
    def _(self, e: S.Failed, tracking: Tracking) -> None:
        self.view.ended(e, tracking, "failed")

    @process_event.register
    def _(self, e: S.Closed, tracking: Tracking) -> None:
        self.view.ended(e, tracking, "closed")

    @process_event.register
    def _(self, e: S.Abandoned, tracking: Tracking) -> None:
        self.view.ended(e, tracking, "abandoned")

    @process_event.register
    def _(self, e: S.Expired, tracking: Tracking) -> None:
        self.view.ended(e, tracking, "expired")

    @process_event.register
    def _(self, e: InventorySync.Created, tracking: Tracking) -> None:
        self.view.put(
            tracking,
            (
                "INSERT INTO {known_syncs} (id, connector_id) VALUES (?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (str(e.originator_id), str(e.connector_id)),
                False,
            ),
        )

    @process_event.register
    def _(self, e: InventorySync.Finished, tracking: Tracking) -> None:
        self.view.inventory_finished(e, tracking)

    @process_event.register
    def _(self, e: Notice.Decided, tracking: Tracking) -> None:
        self.view.decided(e, tracking)

    @process_event.register
    def _(self, e: Notice.Delivered, tracking: Tracking) -> None:
        self.view.delivery(e, tracking, delivered_at=e.at.isoformat(), last_error=None)

    @process_event.register
    def _(self, e: Notice.DeliveryFailed, tracking: Tracking) -> None:
        self.view.delivery(e, tracking, attempts=e.attempt, last_error=e.error)

"""The transfer history: one row per thing that happened to a transfer (sent and answered,
failed, in doubt, verified, marked by hand, requeued), with who ran the session and where the
qbXML is, for the accountant's and the auditor's questions (open question 8)."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from engine.aggregates.session import QbwcSession
from engine.aggregates.transfer import Transfer
from projections.base import ReadModelView, Statement
from projections.transfers import TRANSFER_EVENTS

# What `--result` selects.
RESULTS = {
    "ok": ("succeeded", "verified", "marked_transferred"),
    "failed": ("failed",),
    "in-doubt": ("in_doubt",),
    "skipped": ("skipped",),
    "deleted": ("deleted_in_quickbooks",),
}
_COLUMNS = (
    "seq", "at", "connector_id", "kind", "psa_id", "number", "party", "amount", "action",
    "result", "txn_id", "ref_number", "code", "message", "attempt", "session_id", "exchange_id",
    "username", "registration_id",
)  # fmt: skip


# What known_transfers holds for the rows; the integer columns typed (a parameter's type is
# not inferred from the column it is inserted into through a SELECT).
_KNOWN = ("connector_id", "kind", "psa_id", "number", "party", "amount", "attempt", "exchange_id")
_TYPED = {
    "seq": "CAST(? AS BIGINT)",
    "code": "CAST(? AS INTEGER)",
    "attempt": "CAST(? AS INTEGER)",
}


def _session_of(event: Any) -> str | None:
    session_id = getattr(event, "session_id", None)
    return str(session_id) if session_id else None


class HistoryView(ReadModelView):
    """Writes and queries of the transfer history."""

    TABLES: ClassVar[dict[str, str]] = {
        "history": "seq BIGINT PRIMARY KEY, at TEXT NOT NULL, connector_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, psa_id TEXT NOT NULL, number TEXT, party TEXT, amount TEXT, "
        "action TEXT NOT NULL, result TEXT NOT NULL, txn_id TEXT, ref_number TEXT, "
        "code INTEGER, message TEXT, attempt INTEGER, session_id TEXT, exchange_id TEXT, "
        "username TEXT, registration_id TEXT",
        # What the rows repeat from earlier events: each transfer's document and last send.
        "known_transfers": "id TEXT PRIMARY KEY, connector_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "psa_id TEXT NOT NULL, number TEXT, party TEXT, amount TEXT, attempt INTEGER, "
        "session_id TEXT, exchange_id TEXT",
        "known_sessions": "id TEXT PRIMARY KEY, username TEXT, registration_id TEXT",
    }
    INDEXES: ClassVar[dict[str, str]] = {
        "history_by_connector": "history (connector_id, kind, seq)",
        "history_by_document": "history (kind, psa_id, seq)",
    }

    def session_opened(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "INSERT INTO {known_sessions} (id, username, registration_id) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (str(event.originator_id), event.username, event.registration_id),
                False,
            ),
        )

    def queued(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "INSERT INTO {known_transfers} (id, connector_id, kind, psa_id, number, party, "
                "amount) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    str(event.connector_id),
                    event.kind,
                    event.psa_id,
                    event.number,
                    event.party,
                    event.amount,
                ),
                False,
            ),
        )

    def sent(self, event: Any, tracking: Tracking) -> None:
        self.write(
            tracking,
            (
                "UPDATE {known_transfers} SET attempt = ?, session_id = ?, exchange_id = ? "
                "WHERE id = ?",
                (
                    event.attempt,
                    str(event.session_id),
                    str(event.exchange_id),
                    str(event.originator_id),
                ),
                False,
            ),
        )

    def happened(
        self, event: Any, tracking: Tracking, action: str, result: str, **values: Any
    ) -> None:
        """A row for `event`, with the transfer's document and last send filled in from what
        earlier events told (one INSERT ... SELECT: a rebuild pipelines it, nothing to wait
        for). `values` override what the last send said."""
        given = {
            **values,
            "seq": tracking.notification_id,
            "at": event.at.isoformat(),
            "action": action,
            "result": result,
        }
        if given.get("exchange_id") is not None:
            given["exchange_id"] = str(given["exchange_id"])
        picks, params = [], []
        for column in _COLUMNS:
            if column in given:
                picks.append(_TYPED.get(column, "?"))
                params.append(given[column])
            elif column == "session_id":
                picks.append("COALESCE(?, t.session_id)")
                params.append(_session_of(event))
            elif column in ("username", "registration_id"):
                picks.append(f"s.{column}")
            elif column in _KNOWN:
                picks.append(f"t.{column}")
            else:
                picks.append("NULL")
        statement: Statement = (
            f"INSERT INTO {{history}} ({', '.join(_COLUMNS)}) SELECT {', '.join(picks)} "
            "FROM {known_transfers} t LEFT JOIN {known_sessions} s "
            "ON s.id = COALESCE(?, t.session_id) WHERE t.id = ?",
            (*params, _session_of(event), str(event.originator_id)),
            False,
        )
        self.write(tracking, statement)

    # -- queries -------------------------------------------------------------------------------

    def history(
        self,
        *,
        connector_id: str | None = None,
        kind: str | None = None,
        result: str | None = None,
        since: str | None = None,
        until: str | None = None,
        document: tuple[str, str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Rows, newest first, filtered; `since` and `until` are ISO dates or times
        (`until` a date includes that whole day)."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("connector_id", connector_id), ("kind", kind)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if result:
            results = RESULTS[result]
            where.append(f"result IN ({', '.join('?' for _ in results)})")
            params += results
        if since:
            where.append("at >= ?")
            params.append(since)
        if until:
            where.append("at < ?" if len(until) > 10 else "substr(at, 1, 10) <= ?")
            params.append(until)
        if document:
            where += ["kind = ?", "psa_id = ?"]
            params += list(document)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        return self.query(
            f"SELECT * FROM {{history}} {clause}ORDER BY seq DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )


T = Transfer


class HistoryProjection(Projection[HistoryView]):
    """Follows Transfer events (and who ran each session) into the transfer history."""

    name = "TransferHistory"
    topics = tuple(get_topic(e) for e in (QbwcSession.Opened, *TRANSFER_EVENTS))

    @singledispatchmethod
    def process_event(self, domain_event: DomainEventProtocol, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: QbwcSession.Opened, tracking: Tracking) -> None:
        self.view.session_opened(e, tracking)

    @process_event.register
    def _(self, e: T.Queued, tracking: Tracking) -> None:
        self.view.queued(e, tracking)

    @process_event.register
    def _(self, e: T.Sent, tracking: Tracking) -> None:
        self.view.sent(e, tracking)

    @process_event.register
    def _(self, e: T.Succeeded, tracking: Tracking) -> None:
        self.view.happened(
            e,
            tracking,
            "add",
            "succeeded",
            txn_id=e.txn_id,
            ref_number=e.ref_number,
            exchange_id=e.exchange_id,
        )

    @process_event.register
    def _(self, e: T.Failed, tracking: Tracking) -> None:
        values: dict[str, Any] = {"code": e.code, "message": e.message}
        if e.exchange_id is None:  # refused before it was sent: no exchange, no attempt
            values.update(exchange_id=None, attempt=None)
        else:
            values["exchange_id"] = e.exchange_id
        self.view.happened(e, tracking, "add", "failed", **values)

    @process_event.register
    def _(self, e: T.MarkedInDoubt, tracking: Tracking) -> None:
        self.view.happened(e, tracking, "add", "in_doubt", message=e.reason)

    @process_event.register
    def _(self, e: T.Skipped, tracking: Tracking) -> None:
        self.view.happened(e, tracking, "skip", "skipped", message=e.reason)

    @process_event.register
    def _(self, e: T.Verified, tracking: Tracking) -> None:
        self.view.happened(
            e,
            tracking,
            "verify",
            "verified",
            txn_id=e.txn_id,
            ref_number=e.ref_number,
            exchange_id=e.exchange_id,
            message="found in QuickBooks by its ExternalGUID: it was added once",
        )

    @process_event.register
    def _(self, e: T.FoundMissing, tracking: Tracking) -> None:
        self.view.happened(
            e,
            tracking,
            "verify",
            "not_found",
            exchange_id=e.exchange_id,
            message="not in QuickBooks: it is sent again",
        )

    @process_event.register
    def _(self, e: T.Requeued, tracking: Tracking) -> None:
        self.view.happened(e, tracking, "requeue", "requeued", message=f"{e.reason} ({e.by})")

    @process_event.register
    def _(self, e: T.ModificationQueued, tracking: Tracking) -> None:
        self.view.happened(e, tracking, "modify", "requeued", message=e.reason)

    @process_event.register
    def _(self, e: T.Dequeued, tracking: Tracking) -> None:
        self.view.happened(e, tracking, "withdraw", "withdrawn", message=e.reason)

    @process_event.register
    def _(self, e: T.MarkedTransferred, tracking: Tracking) -> None:
        self.view.happened(
            e,
            tracking,
            "mark",
            "marked_transferred",
            ref_number=e.reference,
            message=f"marked transferred by {e.by}",
        )

    @process_event.register
    def _(self, e: T.MarkedNotTransferred, tracking: Tracking) -> None:
        self.view.happened(
            e, tracking, "mark", "marked_not_transferred", message=f"{e.warning} ({e.by})"
        )

    @process_event.register
    def _(self, e: T.DeletedInQuickBooks, tracking: Tracking) -> None:
        self.view.happened(
            e,
            tracking,
            "delete",
            "deleted_in_quickbooks",
            txn_id=e.txn_id,
            message=(
                f"the {e.txn_type} was deleted in QuickBooks at {e.time_deleted}; it is not "
                "sent again unless it is marked not transferred"
            ),
        )

"""The QuickBooks-lists read model: every account, class, employee, vendor, payroll item, item,
customer, term, sales tax code and ship method each connector's company file has, as the
first handshake and later syncs delivered them. It feeds `connectors show` and the mappings."""

from __future__ import annotations

import json
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from engine.aggregates.quickbooks_lists import LIST_NAMES, QuickBooksLists
from projections.base import ReadModelView

ANALYZE_EVERY = 5_000
_COLUMNS = (
    "source",
    "list_name",
    "list_id",
    "full_name",
    "name",
    "type",
    "is_active",
    "parent_list_id",
    "edit_sequence",
    "time_modified",
    "details",
)


class QuickBooksListsView(ReadModelView):
    """Queries and writes of the lists read model."""

    TABLES: ClassVar[dict[str, str]] = {
        "records": "source TEXT NOT NULL, list_name TEXT NOT NULL, list_id TEXT NOT NULL, "
        "full_name TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, "
        "is_active INTEGER NOT NULL, parent_list_id TEXT, edit_sequence TEXT, "
        "time_modified TEXT, details TEXT, "
        "PRIMARY KEY (source, list_name, list_id)",
    }
    INDEXES: ClassVar[dict[str, str]] = {
        "records_by_name": "records (source, list_name, full_name)",
        # find() by name ignoring case: an expression both SQLite and PostgreSQL index.
        "records_by_lower_name": "records (source, list_name, lower(full_name))",
    }

    # -- writes, each with its tracking position -------------------------------------------

    def upsert(
        self, source: UUID, list_name: str, records: list[dict[str, Any]], tracking: Tracking
    ) -> None:
        placeholders = ", ".join("?" for _ in _COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[3:])
        rows = [
            (
                str(source),
                list_name,
                r["list_id"],
                r["full_name"],
                r["name"],
                r["type"],
                1 if r["is_active"] else 0,
                r.get("parent_list_id"),
                r.get("edit_sequence"),
                r.get("time_modified"),
                json.dumps(r.get("details") or {}),
            )
            for r in records
        ]
        sql = (
            f"INSERT INTO {{records}} ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
            f"ON CONFLICT (source, list_name, list_id) DO UPDATE SET {updates}"
        )
        self.write(tracking, (sql, rows, True))
        # A first handshake writes tens of thousands of rows into a table the planner has no
        # statistics for yet, and lookups would scan it (PostgreSQL caches such plans): refresh
        # them every ANALYZE_EVERY rows this writer has written.
        self._written = getattr(self, "_written", 0) + len(rows)
        if self._written >= ANALYZE_EVERY:
            self.analyze()
            self._written = 0

    def delete(self, source: UUID, records: list[dict[str, str]], tracking: Tracking) -> None:
        rows = [(str(source), r["list_name"], r["list_id"]) for r in records]
        sql = "DELETE FROM {records} WHERE source = ? AND list_name = ? AND list_id = ?"
        self.write(tracking, (sql, rows, True))

    def forget(self, source: UUID, tracking: Tracking) -> None:
        self.write(tracking, ("DELETE FROM {records} WHERE source = ?", (str(source),), False))

    # -- queries -------------------------------------------------------------------------------

    def counts(self, connector_id: UUID) -> dict[str, int]:
        """How many records of each list the connector's company file has."""
        rows = self.query(
            "SELECT list_name, COUNT(*) AS n FROM {records} WHERE source = ? GROUP BY list_name",
            (str(QuickBooksLists.create_id(connector_id)),),
        )
        found = {row["list_name"]: int(row["n"]) for row in rows}
        return {name: found.get(name, 0) for name in LIST_NAMES}

    def records(
        self,
        connector_id: UUID,
        list_name: str,
        *,
        active_only: bool = False,
    ) -> list[dict[str, Any]]:
        """One list, by full name (hierarchies as Parent:Child)."""
        sql = (
            f"SELECT {_FIELDS} FROM {{records}} WHERE source = ? AND list_name = ?"
            + (" AND is_active = 1" if active_only else "")
            + " ORDER BY full_name"
        )
        rows = self.query(sql, (str(QuickBooksLists.create_id(connector_id)), list_name))
        return [_decoded(row) for row in rows]

    def find_applied(
        self, connector_id: UUID, list_name: str, name_or_list_id: str
    ) -> dict[str, Any] | None:
        """`find`: a view reads what has been applied (it never waits)."""
        return self.find(connector_id, list_name, name_or_list_id)

    def find(
        self,
        connector_id: UUID,
        list_name: str,
        name_or_list_id: str,
    ) -> dict[str, Any] | None:
        """A record by ListID, or by full name ignoring case; through the indexes (the primary
        key, and lower(full_name)), never a scan of the list, but for a non-ASCII name that
        the database's lower() folds differently from Python's casefold()."""
        source = str(QuickBooksLists.create_id(connector_id))
        select = f"SELECT {_FIELDS} FROM {{records}} WHERE source = ? AND list_name = ? AND "
        # One round trip, each half on its own index whatever the planner's statistics say
        # (an OR is planned as a scan of the list until the table has been analysed); a
        # ListID match wins over a name.
        rows = self.query(
            select + "list_id = ? UNION ALL " + select + "lower(full_name) = lower(?)",
            (source, list_name, name_or_list_id, source, list_name, name_or_list_id),
        )
        wanted = name_or_list_id.casefold()
        rows = [r for r in rows if r["list_id"] == name_or_list_id] or [
            r for r in rows if r["full_name"].casefold() == wanted
        ]
        if rows:
            return _decoded(rows[0])
        if name_or_list_id.isascii():
            return None
        return next(
            (
                r
                for r in self.records(connector_id, list_name)
                if r["full_name"].casefold() == wanted
            ),
            None,
        )


_FIELDS = "list_id, full_name, name, type, is_active, parent_list_id, details"


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row["is_active"] = bool(row["is_active"])
    row["details"] = json.loads(row["details"] or "{}")
    return row


class QuickBooksListsProjection(Projection[QuickBooksListsView]):
    """Follows QuickBooksLists events into the read model."""

    name = "QuickBooksLists"
    topics = tuple(
        get_topic(e)
        for e in (
            QuickBooksLists.RecordsUpserted,
            QuickBooksLists.RecordsDeleted,
            QuickBooksLists.Reset,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: DomainEventProtocol, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, domain_event: QuickBooksLists.RecordsUpserted, tracking: Tracking) -> None:
        self.view.upsert(
            domain_event.originator_id, domain_event.list_name, domain_event.records, tracking
        )

    @process_event.register
    def _(self, domain_event: QuickBooksLists.RecordsDeleted, tracking: Tracking) -> None:
        self.view.delete(domain_event.originator_id, domain_event.records, tracking)

    @process_event.register
    def _(self, domain_event: QuickBooksLists.Reset, tracking: Tracking) -> None:
        self.view.forget(domain_event.originator_id, tracking)

"""What the engine knows of a company file's lists: the records QuickBooks sent (in the events,
for the read model) and, in its state, only what the next sync needs: a modified-date watermark
per list and the few records seen just below it.

Incremental syncs ask for records modified since the watermark minus a safety margin, because
QuickBooks' TimeModified uses the workstation's clock and its DST handling is known to be off
by an hour. Records in that overlap that were already seen (same ListID and EditSequence) are
dropped instead of being recorded again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

SAFETY_MARGIN = timedelta(hours=1)
FRONTIER_LIMIT = 1000  # per list: seen records remembered inside the overlap window
LIST_NAMES = (
    "accounts",
    "classes",
    "employees",
    "vendors",
    "payroll_items",
    "items",
    "customers",
    "terms",
    "sales_tax_codes",
    "ship_methods",
)


def parse_qb_time(text: str) -> datetime | None:
    """A QuickBooks TimeModified ("2026-01-05T11:47:41-08:00"); None when absent or not a
    plausible moment: unreadable, without its offset (it could not be compared with the
    others), or outside the years 1900-9000 (a watermark must survive a margin's arithmetic)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None or not 1900 <= moment.year <= 9000:
        return None
    return moment


class QuickBooksLists(Aggregate):
    """A connector's view of QuickBooks' lists, as far as syncing needs to remember it."""

    # -- events ------------------------------------------------------------------------

    class Created(Aggregate.Created):
        connector_id: UUID

    class RecordsUpserted(Aggregate.Event):
        list_name: str
        records: list[dict[str, Any]]
        at: datetime

    class ListSynced(Aggregate.Event):
        list_name: str
        at: datetime

    class RecordsDeleted(Aggregate.Event):
        records: list[dict[str, str]]
        at: datetime

    class DeletionSyncRequested(Aggregate.Event):
        at: datetime
        # "admin" (the command, the API) or "schedule" (every 24 hours); events written
        # before the scheduler read as "admin".
        requested_by: str = "admin"

    class RefreshRequested(Aggregate.Event):
        full: bool
        requested_by: str
        at: datetime

    class DeletionsSynced(Aggregate.Event):
        at: datetime
        # The latest TimeDeleted of a transaction the sync saw (events written before
        # transactions were looked at read as None).
        latest: str | None = None

    class Reset(Aggregate.Event):
        reason: str
        at: datetime

    @staticmethod
    def create_id(connector_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"qbtransfer:/connectors/{connector_id}/quickbooks-lists")

    @event(Created)
    def __init__(self, connector_id: UUID) -> None:
        self.connector_id = connector_id
        self.watermarks: dict[str, str] = {}  # list -> latest TimeModified seen
        # list -> ListID -> [EditSequence, TimeModified as epoch seconds], overlap window only
        self.frontier: dict[str, dict[str, list[Any]]] = {}
        self.synced_at: dict[str, str] = {}  # list -> when a full pass last completed
        self.overlap_floor: dict[str, float] = {}  # list -> where a capped overlap starts
        # list -> the oldest remembered record when the last pass ended: the next pass keeps
        # everything from there until it ends
        self.pass_floor: dict[str, float] = {}
        self.deletions_due = False
        self.deletions_watermark: str | None = None
        self.deletions_synced_at: str | None = None
        self.refresh_lists: list[str] = []  # what an on-demand refresh still waits for
        self.refresh_full = False

    # -- questions ---------------------------------------------------------------------------

    def from_modified(self, list_name: str) -> str | None:
        """Where the next incremental sync of `list_name` starts (None: from the beginning)."""
        mark = parse_qb_time(self.watermarks.get(list_name, ""))
        if mark is None:
            return None
        start = mark - SAFETY_MARGIN
        if list_name in self.overlap_floor:
            start = max(start, datetime.fromtimestamp(self.overlap_floor[list_name], mark.tzinfo))
        return start.isoformat(timespec="seconds")

    def is_new(self, list_name: str, record: dict[str, Any]) -> bool:
        """False when this exact version of the record was already recorded."""
        seen = self.frontier.get(list_name, {}).get(record["list_id"])
        return seen is None or seen[0] != record["edit_sequence"]

    @property
    def changes(self) -> int:
        """How many times records were recorded, deleted or forgotten: what a failed transfer
        waits for (a pass that found nothing new changes nothing)."""
        return getattr(self, "change_count", 0)

    @property
    def refresh_pending(self) -> list[str]:
        """The lists an on-demand refresh still waits for (empty: none was asked for, or the
        session after it pulled every list)."""
        return list(getattr(self, "refresh_lists", []))

    @property
    def refresh_is_full(self) -> bool:
        """Whether the pending refresh asks for every record again."""
        return bool(getattr(self, "refresh_full", False)) and bool(self.refresh_pending)

    def never_synced(self) -> list[str]:
        return [name for name in LIST_NAMES if name not in self.synced_at]

    def last_synced(self) -> datetime | None:
        times = [datetime.fromisoformat(t) for t in self.synced_at.values()]
        return min(times) if len(times) == len(LIST_NAMES) else None

    # -- verbs -------------------------------------------------------------------------------

    def record_page(self, list_name: str, records: list[dict[str, Any]], at: datetime) -> int:
        """Record the new or changed records of one page; returns how many were new."""
        fresh = [r for r in records if self.is_new(list_name, r)]
        if fresh:
            self._records_upserted(list_name=list_name, records=fresh, at=at)
        return len(fresh)

    @event(RecordsUpserted)
    def _records_upserted(
        self, list_name: str, records: list[dict[str, Any]], at: datetime
    ) -> None:
        self.change_count = self.changes + 1
        seen = self.frontier.setdefault(list_name, {})
        latest = parse_qb_time(self.watermarks.get(list_name, ""))
        for record in records:
            moment = parse_qb_time(record.get("time_modified", ""))
            stamp = moment.timestamp() if moment is not None else 0.0
            if moment is not None and (latest is None or moment > latest):
                latest = moment
                self.watermarks[list_name] = record["time_modified"]
            seen[record["list_id"]] = [record["edit_sequence"], stamp]
        if latest is not None:
            # Forget what cannot come back in this pass: records older than the overlap, or
            # than the overlap this pass started from (a changed record early in a pass moves
            # the watermark; those seen before it must still be recognised later on).
            floor = (latest - SAFETY_MARGIN).timestamp()
            floor = min(floor, self._pass_floors().get(list_name, floor))
            self.frontier[list_name] = {k: v for k, v in seen.items() if v[1] >= floor}

    @event(ListSynced)
    def complete_list(self, list_name: str, at: datetime) -> None:
        """A full or incremental pass over `list_name` finished."""
        self.synced_at[list_name] = at.isoformat()
        self._forget_outside_overlap(list_name)
        if list_name in self.refresh_pending:
            self.refresh_lists = [name for name in self.refresh_pending if name != list_name]
            self.refresh_full = self.refresh_is_full and bool(self.refresh_lists)

    def _forget_outside_overlap(self, list_name: str) -> None:
        # Once a pass is over only records inside the overlap window can come back. A bulk
        # edit can put thousands there, and every load and snapshot carries this map: keep
        # the newest FRONTIER_LIMIT (with their ties) and start the next pass at the oldest
        # of them instead, so what was forgotten is not fetched again.
        latest = parse_qb_time(self.watermarks.get(list_name, ""))
        if latest is None:
            return
        floor = (latest - SAFETY_MARGIN).timestamp()
        kept = {k: v for k, v in self.frontier.get(list_name, {}).items() if v[1] >= floor}
        if self.overlap_floor.get(list_name, floor) <= floor:
            self.overlap_floor.pop(list_name, None)  # the overlap has moved past it
        if len(kept) > FRONTIER_LIMIT:
            cut = sorted(v[1] for v in kept.values())[-FRONTIER_LIMIT]
            kept = {k: v for k, v in kept.items() if v[1] >= cut}
            self.overlap_floor[list_name] = cut
        self.frontier[list_name] = kept
        self._pass_floors()[list_name] = min((v[1] for v in kept.values()), default=floor)

    def _pass_floors(self) -> dict[str, float]:
        if not hasattr(self, "pass_floor"):  # a snapshot from before this field existed
            self.pass_floor = {}
        return self.pass_floor

    def record_deletions(self, records: list[dict[str, str]], at: datetime) -> None:
        """Records QuickBooks deleted (from ListDeletedQuery)."""
        if records:
            self._records_deleted(records=records, at=at)

    @event(RecordsDeleted)
    def _records_deleted(self, records: list[dict[str, str]], at: datetime) -> None:
        self.change_count = self.changes + 1
        for record in records:
            for seen in self.frontier.values():
                seen.pop(record["list_id"], None)
            moment = parse_qb_time(record.get("time_deleted", ""))
            current = parse_qb_time(self.deletions_watermark or "")
            if moment is not None and (current is None or moment > current):
                self.deletions_watermark = record["time_deleted"]

    @event(DeletionSyncRequested)
    def request_deletion_sync(self, at: datetime, requested_by: str = "admin") -> None:
        """Look for deleted records and transactions during the next QBWC run."""
        self.deletions_due = True
        self.deletions_requested_at = at.isoformat()

    def deletion_sync_falls_due(self, now: datetime, every: timedelta) -> bool:
        """Whether the schedule should ask for a deletion sync now: the lists were synced once,
        none is pending, and the last one finished (or, before the first, was asked for)
        `every` ago or more. Never synced: the first sync fetches every record anyway."""
        if self.deletions_due or self.never_synced():
            return False
        last = self.deletions_synced_at or getattr(self, "deletions_requested_at", None)
        return last is None or now - datetime.fromisoformat(last) >= every

    @event(RefreshRequested)
    def request_refresh(self, full: bool, requested_by: str, at: datetime) -> None:
        """Pull the lists during the next QBWC run even when they were synced recently: what
        changed since each list's watermark, or with `full` every record again (the watermarks
        and the overlap are forgotten; the records already known stay until they come back)."""
        self.refresh_full = full or self.refresh_is_full
        self.refresh_lists = list(LIST_NAMES)
        if full:
            self.watermarks, self.frontier = {}, {}
            self.overlap_floor, self.pass_floor = {}, {}

    @event(DeletionsSynced)
    def complete_deletions(self, at: datetime, latest: str | None = None) -> None:
        """A deletion sync finished; `latest` (a transaction's TimeDeleted) moves the
        watermark the next one starts from, as a list record's deletion does."""
        self.deletions_due = False
        self.deletions_synced_at = at.isoformat()
        moment, current = parse_qb_time(latest or ""), parse_qb_time(self.deletions_watermark or "")
        if moment is not None and (current is None or moment > current):
            self.deletions_watermark = latest

    def deletions_from(self) -> str | None:
        mark = parse_qb_time(self.deletions_watermark or "")
        return (mark - SAFETY_MARGIN).isoformat(timespec="seconds") if mark else None

    @event(Reset)
    def reset(self, reason: str, at: datetime) -> None:
        """Forget everything (the connector was unlinked from its company file)."""
        self.watermarks, self.frontier, self.synced_at = {}, {}, {}
        self.overlap_floor, self.pass_floor = {}, {}
        self.deletions_due, self.deletions_watermark, self.deletions_synced_at = False, None, None
        self.refresh_lists, self.refresh_full = [], False
        self.change_count = self.changes + 1

"""Deciding and delivering notifications (product-spec §9): one digest per connector per QBWC
session that ended with transfer failures, and one alert when sign-ins start failing with a
90xxx code or an inventory sync fails.

Deciding records a `Notice` whose id comes from what it reports, with everything the message
will say; delivering sends it and records that it went. A crash between the two leaves a
notice owed, which the next run sends (the same message: its Message-ID is the notice's id).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from engine.aggregates.notice import MAX_DELIVERY_ATTEMPTS, Notice, notice_id
from engine.core import Needs
from engine.ports import NoticeBoard

# An identical failure reported this recently is not reported again.
REPEAT_WINDOW = timedelta(hours=24)
# What ended longer ago is not reported: a notices read model built afresh replays the whole
# log, and nobody wants last year's failures mailed again.
LOOK_BACK = timedelta(hours=24)
TRANSFER_FAILURES, AUTHENTICATION, INVENTORY = "transfer_failures", "authentication", "inventory"
FAILURE_FIELDS = ("transfer_id", "kind", "psa_id", "number", "party", "code", "message", "at")


def retry_after(attempts: int) -> timedelta:
    """How long a failing delivery waits before its next try: 10 s, doubling, up to an hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


class NoticeCommands(Needs):
    """The notifier's two commands, run by the scheduler."""

    def decide_notices(self, board: NoticeBoard) -> list[UUID]:
        """Record a notice for each session that ended with failures, and each alert, not
        decided yet; returns the notices recorded (by this call: a racing one stores none)."""
        now = self.clock()
        since = (now - LOOK_BACK).isoformat()
        decided = []
        for ending in board.undecided_sessions(since):
            failures = _distinct(board.failures_of(ending["session_id"]))
            items = [{k: f.get(k) for k in FAILURE_FIELDS} for f in failures]
            items = [{**i, "ended_at": ending["ended_at"], "how": ending["how"]} for i in items]
            key = f"sessions/{ending['session_id']}"
            made = self._decide(board, key, ending["connector_id"], TRANSFER_FAILURES, items, now)
            decided += [made] if made else []
        for alert in board.undecided_alerts(since):
            item = {k: alert.get(k) for k in ("code", "message", "session_id", "at")}
            made = self._decide(
                board, alert["key"], alert["connector_id"], alert["topic"], [item], now
            )
            decided += [made] if made else []
        return decided

    def _decide(
        self,
        board: NoticeBoard,
        key: str,
        connector_id: str,
        topic: str,
        items: list[dict[str, Any]],
        now: datetime,
    ) -> UUID | None:
        if self._get(notice_id(key)) is not None:
            return None  # decided already (the read model has not caught up with it)
        connector = self._get(UUID(connector_id))
        if connector is None:
            return None
        reported = board.reported_since(connector_id, (now - REPEAT_WINDOW).isoformat())
        fresh = [i for i in items if reported_as(topic, i) not in reported]
        notice = Notice(
            key=key,
            connector_id=connector.id,
            connector_name=connector.name,
            topic=topic,
            recipients=list(connector.emails),
            items=fresh,
            repeats=len(items) - len(fresh),
            at=now,
        )
        try:
            self.save(notice)
        except IntegrityError:
            return None  # another scheduler decided it at the same moment
        return notice.id

    def deliver_notices(self, board: NoticeBoard, send: Callable[[Notice], str]) -> list[UUID]:
        """Send every notice still owed (`send` returns where it went, or raises); returns
        those delivered. A failure is recorded and tried again later, with a growing pause."""
        now = self.clock()
        delivered = []
        for row in board.owed():
            attempts = int(row.get("attempts") or 0)
            if attempts >= MAX_DELIVERY_ATTEMPTS:
                continue
            last = datetime.fromisoformat(row["updated_at"])
            if attempts and now - last < retry_after(attempts):
                continue
            notice = self._get(UUID(row["id"]))
            if not isinstance(notice, Notice) or not notice.to_send:
                continue
            try:
                via = send(notice)
            except Exception as exc:
                notice.record_failed_delivery(str(exc)[:500], notice.attempts + 1, self.clock())
            else:
                notice.record_delivery(via, self.clock())
                delivered.append(notice.id)
            # Recorded by another process meanwhile: the message was the same one.
            with contextlib.suppress(IntegrityError):
                self.save(notice)
        return delivered

    def get_notice(self, notice_ref: UUID) -> Notice | None:
        """A notice, for rendering and for the command line."""
        found = self._get(notice_ref)
        return found if isinstance(found, Notice) else None


def _distinct(failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A transfer that failed twice the same way in one session is reported once."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for failure in failures:
        seen[(failure["transfer_id"], failure["code"], failure["message"])] = failure
    return list(seen.values())


def reported_as(topic: str, item: dict[str, Any]) -> tuple[str, str, Any, str]:
    """What makes two reports identical: the same transfer failing with the same code and
    message; sign-ins failing at all; an inventory sync failing with the same message."""
    if topic == AUTHENTICATION:
        return (topic, "", None, "")
    return (
        topic,
        str(item.get("transfer_id") or ""),
        item.get("code"),
        str(item.get("message") or ""),
    )

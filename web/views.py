"""Answers that combine an engine query with a read model (the engine never reads those)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from engine.application import TransferEngine
from engine.settings import Settings
from projections.runtime import fresh_view


def connector_detail(settings: Settings, engine: TransferEngine, ref: str) -> dict[str, Any]:
    """A connector with the count of each QuickBooks list its company file has."""
    connector = engine.get_connector(ref)
    view = fresh_view(settings, engine, "quickbookslists")
    try:
        connector["quickbooks_lists"] = view.counts(UUID(connector["id"]))
    finally:
        view.close()
    return connector


def sessions_list(
    settings: Settings, engine: TransferEngine, connector_ref: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The latest QBWC sessions, newest first (of one connector, when given)."""
    connector_id = engine.get_connector(connector_ref)["id"] if connector_ref else None
    view = fresh_view(settings, engine, "sessions")
    try:
        return view.sessions(connector_id, limit)
    finally:
        view.close()

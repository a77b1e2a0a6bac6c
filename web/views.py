"""Answers that combine engine commands with read models (the engine never reads those; it is
handed them through the ports in engine/ports.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from flask import has_app_context

from engine.application import TransferEngine
from engine.errors import NotFound
from engine.ids import looks_like_prefix, require_id
from engine.settings import Settings
from engine.text import excerpt
from projections.runtime import current_view, fresh_view
from web import get_view


@contextlib.contextmanager
def read_models(settings: Settings, engine: TransferEngine, *names: str) -> Iterator[list[Any]]:
    """Views that reflect every event stored so far (their runner has reached the log's head,
    or, with no runner anywhere, this process ran its step). Inside a web request they are the
    process's own (opened once); elsewhere (the command line) they are closed afterwards."""
    if has_app_context():
        yield [current_view(engine, get_view(name), name) for name in names]
        return
    opened: list[Any] = []
    try:
        for name in names:
            opened.append(fresh_view(settings, engine, name))
        yield opened
    finally:
        for view in opened:
            view.close()


def connector_detail(settings: Settings, engine: TransferEngine, ref: str) -> dict[str, Any]:
    """A connector with the count of each QuickBooks list its company file has."""
    connector = engine.get_connector(ref)
    with read_models(settings, engine, "quickbookslists") as (lists,):
        connector["quickbooks_lists"] = lists.counts(UUID(connector["id"]))
    return connector


def income_accounts(settings: Settings, engine: TransferEngine, ref: str) -> list[str]:
    """The accounts a connector's new inventory items may take their income account from."""
    with read_models(settings, engine, "quickbookslists") as (lists,):
        return engine.income_account_choices(ref, directory=lists)


def sessions_list(
    settings: Settings, engine: TransferEngine, connector_ref: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The latest QBWC sessions, newest first (of one connector, when given)."""
    connector_id = engine.get_connector(connector_ref)["id"] if connector_ref else None
    with read_models(settings, engine, "sessions") as (sessions,):
        return sessions.sessions(connector_id, limit)


def quickbooks_records(
    settings: Settings,
    engine: TransferEngine,
    list_name: str,
    connector: str,
    search: str | None = None,
) -> dict[str, Any]:
    """One synced QuickBooks list of a connector's company file, by full name, optionally only
    the records whose full name contains `search` (ignoring case)."""
    found = engine.get_connector(connector)
    with read_models(settings, engine, "quickbookslists") as (lists,):
        rows = lists.records(UUID(found["id"]), list_name)
    wanted = (search or "").casefold()
    return {
        "connector_id": found["id"],
        "connector": found["name"],
        "list": list_name,
        "records": [r for r in rows if wanted in r["full_name"].casefold()],
    }


def psa_records(
    settings: Settings,
    engine: TransferEngine,
    kind: str,
    connector: str | None = None,
    search: str | None = None,
) -> list[dict[str, Any]]:
    """The imported organizations or resources, with the connector their work goes to."""
    connectors = {c["id"]: c for c in engine.list_connectors()}
    default = next((c for c in connectors.values() if c["is_default"]), None)
    wanted_connector = engine.get_connector(connector)["id"] if connector else None
    with read_models(settings, engine, "psarecords") as (psa,):
        rows = psa.records_of(kind)
    wanted = (search or "").casefold()
    found = []
    for row in rows:
        target = connectors.get(row["connector_id"] or "") or default
        if wanted_connector and (target or {}).get("id") != wanted_connector:
            continue
        if wanted and wanted not in f"{row['psa_id']} {row['name']}".casefold():
            continue
        found.append(
            {
                "id": row["psa_id"],
                "name": row["name"],
                "connector_id": target["id"] if target else None,
                "connector": target["name"] if target else None,
                "assigned": row["connector_id"] is not None,
            }
        )
    return found


def session_detail(
    settings: Settings, engine: TransferEngine, ref: str, *, with_xml: bool = True
) -> dict[str, Any]:
    """One session by id or by an unambiguous prefix of it."""
    try:
        return engine.get_session(ref, with_xml=with_xml)
    except NotFound:
        if not looks_like_prefix(ref):
            raise
    with read_models(settings, engine, "sessions") as (sessions,):
        candidates = sessions.ids_starting(ref.strip().lower())
    return engine.get_session(require_id(ref, candidates, "session"), with_xml=with_xml)


def documents_list(
    settings: Settings,
    engine: TransferEngine,
    kinds: list[str],
    status: str | None,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """Imported documents of the given kinds (and status); each transferred one with what
    QuickBooks holds of it (TxnID, number, date, paid date). With `since` (an ISO time), only
    documents whose transfer or paid date changed then or later: what a PSA polls."""
    with read_models(settings, engine, "psarecords", "transfers") as (psa, transfers):
        outcomes = transfers.outcomes(since)
        out = []
        for r in psa.documents(kinds, status):
            outcome = outcomes.get((r["kind"], r["psa_id"]))
            if since and outcome is None:
                continue
            out.append(
                {
                    "type": r["kind"],
                    "id": r["psa_id"],
                    "number": r["name"],
                    "status": r["status"],
                    "changed_after_transfer": r["changed_after_transfer"],
                    "quickbooks": None
                    if outcome is None
                    else {
                        "connector_id": outcome["connector_id"],
                        "txn_id": outcome["txn_id"],
                        "ref_number": outcome["ref_number"],
                        "txn_date": outcome["txn_date"],
                        "paid_date": outcome["paid_date"] or None,
                        "changed_at": outcome["updated_at"],
                    },
                }
            )
        return out


def set_mapping(
    settings: Settings,
    engine: TransferEngine,
    connector: str,
    category: str,
    psa_id: str,
    quickbooks: str,
    by: str,
) -> dict[str, Any]:
    """Map a PSA code to a QuickBooks record the company file has."""
    with read_models(settings, engine, "quickbookslists") as (lists,):
        return engine.set_mapping(connector, category, psa_id, quickbooks, directory=lists, by=by)


def mapping_page(
    settings: Settings, engine: TransferEngine, connector: str, category: str
) -> dict[str, Any]:
    """One category's codes, what each maps to, and what they may map to."""
    with read_models(settings, engine, "quickbookslists", "psarecords") as (lists, psa):
        found = engine.get_mappings(connector, directory=lists, catalog=psa, category_name=category)
        return {**found, **engine.mapping_choices(connector, category, directory=lists)}


def mappings(
    settings: Settings, engine: TransferEngine, connector: str, category: str | None
) -> dict[str, Any]:
    """Every PSA code of each category and what it maps to."""
    with read_models(settings, engine, "quickbookslists", "psarecords") as (lists, psa):
        return engine.get_mappings(connector, directory=lists, catalog=psa, category_name=category)


def readiness(settings: Settings, engine: TransferEngine, connector: str) -> dict[str, Any]:
    """What blocks each transfer type of a connector."""
    with read_models(settings, engine, "quickbookslists", "psarecords") as (lists, psa):
        return engine.check_readiness(connector, directory=lists, catalog=psa)


def transfers_list(
    settings: Settings,
    engine: TransferEngine,
    *,
    connector: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Transfers, the latest changed first; `status` "pending" and "pending_failed" are the
    two queues (Pending, Pending/Failed)."""
    connector_id = engine.get_connector(connector)["id"] if connector else None
    with read_models(settings, engine, "transfers") as (transfers,):
        return transfers.transfers(connector_id, kind, status, limit)


def history(
    settings: Settings,
    engine: TransferEngine,
    *,
    connector: str | None = None,
    kind: str | None = None,
    result: str | None = None,
    since: str | None = None,
    until: str | None = None,
    document: str | None = None,
    limit: int = 100,
    page: int = 1,
) -> dict[str, Any]:
    """A page of the transfer history, newest first. `document` is TYPE:ID
    ("invoice:INV-5001")."""
    from engine.errors import InvalidValue
    from engine.psa import document_kind
    from projections.history import RESULTS

    if result is not None and result not in RESULTS:
        raise InvalidValue(f"unknown result {excerpt(result)}; use {', '.join(RESULTS)}")
    if limit < 1 or limit > 1000 or page < 1:
        raise InvalidValue("the page size is 1 to 1000 rows and pages count from 1")
    wanted = None
    if document:
        document_type, _, psa_id = document.partition(":")
        if not psa_id:
            raise InvalidValue("name the document as TYPE:ID, for example invoice:INV-5001")
        wanted = (document_kind(document_type), psa_id)
    connector_id = engine.get_connector(connector)["id"] if connector else None
    with read_models(settings, engine, "transferhistory") as (view,):
        rows = view.history(
            connector_id=connector_id,
            kind=document_kind(kind) if kind else None,
            result=result,
            since=since,
            until=until,
            document=wanted,
            limit=limit + 1,
            offset=(page - 1) * limit,
        )
    return {"page": page, "per_page": limit, "more": len(rows) > limit, "rows": rows[:limit]}


HISTORY_COLUMNS = (
    "at", "kind", "psa_id", "number", "party", "amount", "action", "result", "txn_id",
    "ref_number", "code", "message", "attempt", "username", "registration_id", "session_id",
    "exchange_id", "connector_id",
)  # fmt: skip


def history_csv(rows: list[dict[str, Any]]) -> str:
    """History rows as CSV, for accountants (the command line, the API and the pages)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HISTORY_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def notices_list(
    settings: Settings, engine: TransferEngine, connector_ref: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest e-mail notices, newest first: what each reported, to whom, and whether it
    went (its status comes from the notice itself, the read model only finds them)."""
    connector_id = engine.get_connector(connector_ref)["id"] if connector_ref else None
    with read_models(settings, engine, "notices") as (notices,):
        rows = notices.notices(connector_id, limit)
    out = []
    for row in rows:
        notice = engine.get_notice(UUID(row["id"]))
        if notice is None:
            continue
        out.append(
            {
                "id": str(notice.id),
                "key": notice.key,
                "connector_id": str(notice.connector_id),
                "connector": notice.connector_name,
                "topic": notice.topic,
                "decided_at": notice.decided_at.isoformat(),
                "status": notice.status,
                "recipients": list(notice.recipients),
                "reported": len(notice.items),
                "repeats": notice.repeats,
                "attempts": notice.attempts,
                "delivered_at": notice.delivered_at.isoformat() if notice.delivered_at else None,
                "last_error": notice.last_error,
            }
        )
    return out

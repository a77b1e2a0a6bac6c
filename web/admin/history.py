"""The transfer history with the history command's filters and a CSV download, and a viewer
for the request and response qbXML of each attempt."""

from __future__ import annotations

from typing import Any

from flask import Response

from engine.errors import DomainError
from projections.history import RESULTS
from web.admin import admin, not_found, page, query_arg, query_args, signed_in

FILTERS = ("connector", "type", "result", "since", "until", "document")


def _deps() -> tuple[Any, Any]:
    from web import get_engine, get_settings

    return get_engine(), get_settings()


def _found(per_page: int) -> dict[str, Any]:
    from web.views import history

    engine, settings = _deps()
    args = {name: query_arg(name) or None for name in FILTERS}
    try:
        number = int(query_arg("page") or 1)
    except ValueError:
        number = 0  # refused by the view, with why
    return history(
        settings, engine, connector=args["connector"], kind=args["type"], result=args["result"],
        since=args["since"], until=args["until"], document=args["document"], limit=per_page,
        page=number,
    )  # fmt: skip


@admin.route("/history")
@signed_in
def history() -> Any:
    """What happened to each transfer, newest first, filtered as `qbtransfer history` is."""
    engine, _ = _deps()
    context = {
        "args": query_args(),
        "results": list(RESULTS),
        "connectors": engine.list_connectors(),
        "found": None,
    }
    try:
        context["found"] = _found(100)
    except DomainError as refusal:
        return page("history.html", refusal.status, error=refusal.message, **context)
    return page("history.html", **context)


@admin.route("/history.csv")
@signed_in
def history_csv() -> Any:
    """The same rows as CSV (up to 1,000 per page), for accountants."""
    from web.views import history_csv as as_csv

    try:
        found = _found(1000)
    except DomainError as refusal:
        return Response(refusal.message + "\n", status=refusal.status, mimetype="text/plain")
    return Response(
        as_csv(found["rows"]),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="transfer-history.csv"'},
    )


@admin.route("/exchanges/<exchange_id>")
@signed_in
def exchange(exchange_id: str) -> Any:
    """One message of a session: the request qbtransfer sent and QuickBooks' response."""
    engine, _ = _deps()
    try:
        found = engine.get_exchange(exchange_id)
    except DomainError as refusal:
        return not_found("Exchange", refusal)
    return page("exchange.html", exchange=found)

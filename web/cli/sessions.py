"""`qbtransfer sessions ...`: what each QBWC session did, word for word."""

from __future__ import annotations

import click

from engine.settings import Settings
from web.cli.common import QbGroup, emit, engine, json_option
from web.cli.output import Column, moment, table
from web.views import session_detail, sessions_list


@click.group(cls=QbGroup)
def sessions() -> None:
    """List QBWC sessions and show their exchanges."""


@sessions.command("list")
@click.option("--connector", help="Only this web connector's sessions (id or name).")
@click.option(
    "--limit", type=int, default=50, show_default=True, help="At most this many sessions."
)
@json_option
def list_(connector, limit, as_json):
    """The latest sessions, newest first."""
    with engine() as app:
        found = sessions_list(Settings.from_env(), app, connector, limit)
        names = {c["id"]: c["name"] for c in app.list_connectors()}
    for row in found:
        row["connector"] = names.get(row["connector_id"] or "")
    emit({"sessions": found}, as_json, _table)


def _table(result: dict) -> str:
    columns = [
        Column("Session", "id"),
        Column("Started", "started", moment),
        Column("Connector", "connector"),
        Column("User", "username"),
        Column("Status", "status"),
        Column("Result", "result"),
        Column("Messages", "exchanges", right=True),
        Column("Code", "refusal_code"),
        Column("Last error", lambda s: s["last_error"] if s["status"] != "closed" else None),
    ]
    return table(result["sessions"], columns, "no sessions yet")


@sessions.command("show")
@click.argument("session_id")
@click.option("--no-xml", is_flag=True, help="Leave out the qbXML texts.")
@json_option
def show(session_id, no_xml, as_json):
    """One session: every exchange, with the request and response qbXML."""
    with engine() as app:
        detail = session_detail(Settings.from_env(), app, session_id, with_xml=not no_xml)
        if detail["connector_id"]:
            detail["connector"] = app.get_connector(detail["connector_id"])["name"]
    emit(detail, as_json, _describe)


def _describe(s: dict) -> str:
    lines = [
        f"session      {s['id']}",
        f"connector    {s.get('connector') or '-'}",
        f"user         {s['username']}  registration {s['registration_id']}",
        f"status       {s['status']} ({s['result'] or 'running'})  {s['started']} .. "
        f"{s['ended'] or ''}",
    ]
    if s.get("refusal_code"):
        lines.append(f"refused      {s['refusal_code']}")
    if s.get("company_file"):
        lines.append(f"company file {s['company_file']}  qbXML {s['qbxml_version']}")
    if s.get("last_error"):
        lines.append(f"last error   {s['last_error']}")
    for problem in s.get("problems", []):
        lines.append(f"problem      {problem}")
    for x in s["exchanges"]:
        lines.append(
            f"\n--- exchange {x['seq']} ({x['purpose']}) {x['status']}, sent "
            f"{x['sent_at']}, {x['duration_ms']} ms"
        )
        if "request_xml" in x:
            lines.append(x["request_xml"])
        if x.get("hresult"):
            lines.append(f"HRESULT {x['hresult']}: {x['message']}")
        elif x.get("response_xml"):
            lines.append(x["response_xml"])
    return "\n".join(lines)

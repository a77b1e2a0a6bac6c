"""`qbtransfer audit ...`: the auditor's commands, answered from the event log (the only
record): a document's, session's or connector's story, a check of every read model against
the log, and an export of a connector's events."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.audit import AuditLog, parse_moment
from engine.errors import InvalidValue
from engine.export import export_connector
from engine.psa import document_kind
from engine.settings import Settings
from engine.text import excerpt
from projections.verify import verify
from web.cli.common import QbGroup, emit, engine, json_option


@click.group(cls=QbGroup)
def audit() -> None:
    """What was sent, when, and what QuickBooks said: from the event log alone."""


@audit.command("replay")
@click.option("--document", metavar="TYPE:ID", help="A document, e.g. invoice:INV-1001.")
@click.option("--connector", metavar="ID", help="A web connector (id, prefix or name).")
@click.option("--session", metavar="ID", help="A QBWC session (id or prefix).")
@click.option("--as-of", metavar="MOMENT", help="The world as it stood then (ISO 8601, with zone).")
@click.option(
    "--format", "form", type=click.Choice(["text", "json"]), default="text", help="Text or JSON."
)
@click.option("--qbxml", is_flag=True, help="Show each request's and response's qbXML.")
def replay(document, connector, session, as_of, form, qbxml):
    """Tell one document's, connector's or session's story from the event log: versions as
    imported, the settings and mappings in force at each attempt, each request and response,
    the outcome, the paid date, and who changed what by hand."""
    given = [x for x in (document, connector, session) if x]
    if len(given) != 1:
        raise InvalidValue("give one of --document TYPE:ID, --connector ID or --session ID")
    moment = parse_moment(as_of) if as_of else None
    with engine() as app:
        log = AuditLog(app, qbxml=qbxml)
        if document:
            kind, sep, psa_id = document.partition(":")
            if not sep or not psa_id.strip():
                raise InvalidValue(f"--document {excerpt(document)}: expected TYPE:ID")
            story = log.document(document_kind(kind), psa_id.strip(), moment)
        elif connector:
            story = log.connector(connector, moment)
        else:
            story = log.session(session, moment)
    emit(story.as_dict(), form == "json", _story_text)


def _story_text(story: dict) -> str:
    subject = ", ".join(f"{k} {v}" for k, v in story["subject"].items())
    lines = [f"Story of {subject}" + (f", as of {story['as_of']}" if story["as_of"] else "")]
    lines.append("State: " + json.dumps(story["state"], sort_keys=True, default=str))
    previous: dict | None = None
    for entry in story["entries"]:
        details = dict(entry["details"])
        by = f" by {entry['by']}" if entry["by"] else ""
        lines.append(f"{entry['at']}  {entry['subject']}  {entry['what']}{by}")
        settings, mappings = details.pop("settings", None), details.pop("mappings", None)
        texts = {
            k: details.pop(k) for k in list(details) if k.endswith("qbxml") or k.endswith("_xml")
        }
        response = details.pop("response", None)
        for key, value in details.items():
            if value not in (None, "", [], {}):
                lines.append(f"    {key}: {json.dumps(value, default=str)}")
        if mappings is not None:
            lines += _configuration(settings or {}, mappings, previous)
            previous = {"settings": settings or {}, "mappings": mappings}
        if response is not None:
            lines.append(f"    QuickBooks answered: {json.dumps(response, default=str)}")
        for key, text in texts.items():
            if text:
                lines.append(f"    {key}:")
                lines += [f"      {line}" for line in str(text).splitlines()]
    return "\n".join(lines)


def _configuration(settings: dict, mappings: dict, previous: dict | None) -> list[str]:
    """The configuration an attempt was sent under: all of it at the first attempt, then
    what changed since the one before."""
    if previous is None:
        out = ["    sent under settings: " + json.dumps(settings, sort_keys=True, default=str)]
        out.append("    and mappings: " + json.dumps(mappings, sort_keys=True, default=str))
        return out
    out = []
    for key in sorted(set(settings) | set(previous["settings"])):
        if settings.get(key) != previous["settings"].get(key):
            was, now = previous["settings"].get(key), settings.get(key)
            out.append(f"    setting {key} changed: {was!r} -> {now!r}")
    for category in sorted(set(mappings) | set(previous["mappings"])):
        old, new = previous["mappings"].get(category, {}), mappings.get(category, {})
        for psa_id in sorted(set(old) | set(new)):
            if old.get(psa_id) != new.get(psa_id):
                was, now = json.dumps(old.get(psa_id)), json.dumps(new.get(psa_id))
                out.append(f"    mapping {category} {psa_id} changed since then: {was} -> {now}")
    return out or ["    sent under the same settings and mappings as the attempt before"]


@audit.command("verify")
@json_option
def verify_(as_json):
    """Rebuild every read model in memory from the log and compare it with the stored one;
    list each difference and exit 1 when there is any. Safe while the server runs."""
    settings = Settings.from_env()
    with engine() as app:
        results = verify(settings, app)
    differences = [d.as_dict() for r in results for d in r.differences]
    result = {
        "read_models": {
            r.read_model: {
                "position": r.position,
                "rows": r.rows,
                "differences": len(r.differences),
            }
            for r in results
        },
        "differences": differences,
    }
    emit(result, as_json, _verify_text)
    if differences:
        sys.exit(1)


def _verify_text(result: dict) -> str:
    lines = [
        f"{name:<16} at {r['position']}: {r['rows']} rows, "
        + ("matches the log" if not r["differences"] else f"{r['differences']} differences")
        for name, r in result["read_models"].items()
    ]
    for d in result["differences"]:
        lines.append(
            f"{d['read_model']}.{d['table']} {json.dumps(d['key'], default=str)}: "
            f"stored {json.dumps(d['stored'], default=str)}, "
            f"rebuilt {json.dumps(d['rebuilt'], default=str)}"
        )
    return "\n".join(lines)


@audit.command("export")
@click.option("--connector", required=True, metavar="ID", help="Web connector (id or name).")
@click.option("--since", required=True, metavar="DATE", help="From this date (UTC) or moment.")
@click.option("--output", required=True, type=click.Path(path_type=Path), help="JSON lines file.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@json_option
def export(connector, since, output, force, as_json):
    """Write the events behind one connector's transfers since DATE as JSON lines (qbXML
    included), and OUTPUT.sha256 with the file's SHA-256 (check it with sha256sum -c)."""
    moment = parse_moment(since, "--since")
    with engine() as app:
        connector_id = AuditLog(app).connector_id(connector)
        done = export_connector(app, connector_id, moment, output, force=force)
    emit(
        done.as_dict(),
        as_json,
        lambda r: (
            f"{r['events']} events written to {r['output']}\nSHA-256 {r['sha256']} "
            f"(in {r['checksum_file']})"
        ),
    )

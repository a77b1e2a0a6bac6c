"""Notices as e-mail: what a digest or an alert says, in plain text and HTML, and the
scheduler's notifier job that decides and delivers them.

A message is rendered from its Notice alone (what the decision recorded), so a message sent
again after a crash says exactly what the first one said, under the same Message-ID."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from jinja2 import Environment

from engine.aggregates.notice import Notice
from engine.notices import AUTHENTICATION, INVENTORY, TRANSFER_FAILURES
from engine.psa import KINDS
from web.mail import Delivery, Mail

_TEXT = Environment(
    autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
)
_HTML = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

DIGEST_TEXT = _TEXT.from_string(
    """{{ intro }}

{% for f in failures %}
- {{ f.label }}{% if f.party %} ({{ f.party }}){% endif %}: {{ f.status }}
  {{ f.message }}
  History: {{ f.how_to_find }}
{% endfor %}
{% if repeats %}

{{ repeats }}
{% endif %}

Failed transfers are retried once their document, mappings, connector settings or QuickBooks
lists change, or on `qbtransfer transfers requeue`.
-- qbtransfer, web connector {{ connector }}
"""
)
DIGEST_HTML = _HTML.from_string(
    """<!doctype html>
<html><body>
<p>{{ intro }}</p>
<table border="1" cellpadding="4" cellspacing="0">
<tr><th>Document</th><th>Organization or resource</th><th>QuickBooks status</th>
<th>Message</th><th>History</th></tr>
{% for f in failures %}
<tr><td>{{ f.label }}</td><td>{{ f.party or "" }}</td><td>{{ f.status }}</td>
<td>{{ f.message }}</td><td><code>{{ f.how_to_find }}</code></td></tr>
{% endfor %}
</table>
{% if repeats %}
<p>{{ repeats }}</p>
{% endif %}
<p>Failed transfers are retried once their document, mappings, connector settings or QuickBooks
lists change, or on <code>qbtransfer transfers requeue</code>.</p>
<p>&mdash; qbtransfer, web connector {{ connector }}</p>
</body></html>
"""
)
ALERT_TEXT = _TEXT.from_string(
    """{{ intro }}

{{ detail }}

{{ advice }}
-- qbtransfer, web connector {{ connector }}
"""
)
ALERT_HTML = _HTML.from_string(
    """<!doctype html>
<html><body>
<p>{{ intro }}</p>
<p><strong>{{ detail }}</strong></p>
<p>{{ advice }}</p>
<p>&mdash; qbtransfer, web connector {{ connector }}</p>
</body></html>
"""
)


def _moment(text: str | None) -> str:
    if not text:
        return "-"
    return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M UTC")


def _document_type(kind: str) -> str:
    """The document type the command line takes: invoice, timesheet, expense-report, ..."""
    return kind.removesuffix("s").replace("_", "-")


def _failure(item: dict[str, Any], connector: str) -> dict[str, Any]:
    kind = str(item.get("kind") or "")
    singular = KINDS[kind].singular.capitalize() if kind in KINDS else kind
    code = item.get("code")
    return {
        "label": f"{singular} {item.get('number') or item.get('psa_id')}",
        "party": item.get("party"),
        "status": f"status {code}" if code is not None else "refused before QuickBooks",
        "message": item.get("message") or "",
        "how_to_find": (
            f"qbtransfer history --document {_document_type(kind)}:{item.get('psa_id')} "
            f'--connector "{connector}"'
        ),
    }


def _repeats(count: int) -> str:
    if not count:
        return ""
    if count == 1:
        return "1 identical failure reported in the last 24 hours is not repeated."
    return f"{count} identical failures reported in the last 24 hours are not repeated."


def render(notice: Notice) -> Mail:
    """The message a notice is."""
    connector, key = notice.connector_name, str(notice.id)
    to = tuple(notice.recipients)
    if notice.topic == TRANSFER_FAILURES:
        failures = [_failure(item, connector) for item in notice.items]
        ended = _moment(notice.items[0].get("ended_at") if notice.items else None)
        count = len(failures)
        noun = "transfer" if count == 1 else "transfers"
        intro = (
            f'{count} {noun} to QuickBooks failed on web connector "{connector}" in the QBWC '
            f"session that ended {ended}."
        )
        values = {
            "intro": intro,
            "failures": failures,
            "repeats": _repeats(notice.repeats),
            "connector": connector,
        }
        subject = f"[qbtransfer] {connector}: {count} {noun} failed ({ended})"
        return Mail(key, to, subject, DIGEST_TEXT.render(values), DIGEST_HTML.render(values))
    item = notice.items[0]
    at = _moment(item.get("at"))
    if notice.topic == AUTHENTICATION:
        subject = f"[qbtransfer] {connector}: QuickBooks Web Connector sign-in failing"
        intro = (
            f'Since {at}, the QuickBooks Web Connector of web connector "{connector}" is refused '
            f"when it signs in, with code {item.get('code')}. Nothing is transferred until it "
            "signs in again."
        )
        advice = (
            "The support page lists what each code means; `qbtransfer sessions list "
            f'--connector "{connector}"` shows the refusals. This is reported once until a '
            "sign-in succeeds."
        )
    else:
        assert notice.topic == INVENTORY
        subject = f"[qbtransfer] {connector}: inventory sync failed"
        intro = f'The inventory sync of web connector "{connector}" failed at {at}.'
        advice = (
            f'`qbtransfer connectors inventory-history "{connector}"` shows every run; the next '
            "QBWC session tries again when a sync is requested."
        )
    values = {
        "intro": intro,
        "detail": item.get("message") or "",
        "advice": advice,
        "connector": connector,
    }
    return Mail(key, to, subject, ALERT_TEXT.render(values), ALERT_HTML.render(values))


def sender(delivery: Delivery) -> Callable[[Notice], str]:
    """What `deliver_notices` calls for each notice owed."""

    def send(notice: Notice) -> str:
        delivery.send(render(notice))
        return delivery.describe()

    return send

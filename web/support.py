"""Pages every installation serves without a login: the health check and the support page
that each .qwc's AppSupport points at (QBWC probes it and wants a 200)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template_string

from engine.qbwc import codes
from web import get_engine

support = Blueprint("support", __name__)

SUPPORT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>qbtransfer support</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style>
</head>
<body>
<h1>qbtransfer: QuickBooks Web Connector support</h1>
<p>This server transfers invoices, timesheets, expense reports and purchase orders from the PSA
into QuickBooks Desktop through the QuickBooks Web Connector (QBWC). QBWC polls this server; the
application appears in QBWC under the name in the <code>.qwc</code> file you added.</p>
<h2>When QBWC shows a number like 90xxx in the Every-Min column</h2>
<p>The server refused the connection and the number says why:</p>
<table>
<tr><th>Code</th><th>Meaning</th><th>What to do</th></tr>
{% for code, meaning, remedy in codes %}
<tr><td>{{ code }}</td><td>{{ meaning }}</td><td>{{ remedy }}</td></tr>
{% endfor %}
</table>
<h2>Other QBWC messages</h2>
<ul>
<li><b>QBWC1048</b>: the server's certificate is not trusted by Windows.</li>
<li><b>QBWC1051</b>, <b>QBWC1000</b>-<b>1002</b>: the .qwc points at a non-https or IP address;
ask your administrator to set the server's public URL and download the .qwc again.</li>
<li><b>0x80040408</b> (could not start QuickBooks): open the company file in QuickBooks, or allow
access "even if QuickBooks is not running" under Integrated Applications.</li>
</ul>
</body>
</html>
"""


@support.get("/healthz")
def healthz():
    """200 when the event store answers."""
    get_engine().recorder.max_notification_id()
    return jsonify(status="ok")


@support.get("/support")
def support_page():
    """The AppSupport page of every .qwc."""
    return render_template_string(SUPPORT_PAGE, codes=codes.rows())

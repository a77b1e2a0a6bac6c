"""The benchmark's yardstick: a minimal integration on qbwc-kit that pulls the same ten lists
with the same fields (IncludeRetElement), through the same iterators (1,000 records a page)
where the official qbXML 13.0 schema allows one and in one unbounded query each where it does
not (the simplest legal pull), and stores nothing, served the same way as `qbtransfer serve`
(werkzeug, threaded). `python -m tests.bench_handshake --peer` starts it.

    python -m tests.bench_peer_qbwc_kit --port 8200 --user qbwc-api --password-stdin
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qbwc_kit import QBWCService, QBXMLRequest, StaticAuthenticator, query
from werkzeug.serving import run_simple

from engine.qbxml.schema import takes_iterator
from engine.steps.lists import LIST_FIELDS, LIST_QUERIES

# (entity, fields, pages with an iterator)
LISTS = [
    (query_name[: -len("QueryRq")], LIST_FIELDS[name], takes_iterator(query_name))
    for name, query_name in LIST_QUERIES.items()
]


class PullLists:
    """Every list, page by page; each page is parsed and dropped."""

    name = "lists"

    def run(self, ctx: Any):
        for entity, fields, paged in LISTS:
            if not paged:
                result = yield QBXMLRequest(
                    [query(entity, active_status="All", include_fields=fields)]
                )
                _records = list(result.first())
                continue
            request = query(
                entity,
                max_returned=1000,
                iterator="Start",
                active_status="All",
                include_fields=fields,
            )
            while True:
                result = yield QBXMLRequest([request])
                page = result.first()
                _records = list(page)  # parsed like a real integration would, then forgotten
                if not page.has_more:
                    break
                request.iterator = "Continue"
                request.iterator_id = page.iterator_id


def wsgi_app(service: QBWCService):
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = service.dispatch(environ["wsgi.input"].read(length)).encode("utf-8")
            start_response(
                "200 OK",
                [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_peer_qbwc_kit")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-stdin", action="store_true", required=True)
    args = parser.parse_args()
    password = sys.stdin.readline().rstrip("\r\n")
    service = QBWCService(StaticAuthenticator(args.user, password, [PullLists()]))
    run_simple("127.0.0.1", args.port, wsgi_app(service), threaded=True)


if __name__ == "__main__":
    main()

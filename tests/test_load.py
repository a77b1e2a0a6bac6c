"""Load (tests/bench_load.py): gunicorn with 4 workers and a `qbtransfer worker` on
PostgreSQL, many Web Connectors at once each transferring its invoices, and pairs of machines
racing on one connector. The figures are read in docs/performance.md, never asserted; what is
asserted is what must hold under any load: no update fails, every invoice is in its company
exactly once, and the second machine of each pair is told `busy`.

The bounded form (CI) runs 8 connectors; `pytest --full-proofs` runs the benchmark's 50."""

from __future__ import annotations

from tests.bench_load import main
from tests.conftest import POSTGRES_URL, postgres_or_skip
from tests.helpers import fresh_schema


def test_many_web_connectors_at_once_lose_nothing_and_double_nothing(request, capsys):
    postgres_or_skip()
    full = request.config.getoption("full_proofs")
    size = [] if full else ["--connectors", "8", "--pairs", "2", "--sessions", "3",
                            "--invoices", "5", "--spread", "1", "--interval", "0.5"]  # fmt: skip
    with fresh_schema(POSTGRES_URL) as url:  # the servers' own pool sizes, as in production
        figures = main(["--database-url", url, *size])
    assert figures["first_handshakes"] == {"completed": figures["connectors"]}
    assert figures["errors"] == 0, figures["updates"]
    assert figures["invoices_in_quickbooks"] == figures["invoices_expected"]
    assert figures["duplicates"] == 0
    assert len(figures["busy_seen_by_each_pair"]) == figures["racing_pairs"]
    assert all(busy >= 1 for busy in figures["busy_seen_by_each_pair"])
    assert {"authenticate", "sendRequestXML", "receiveResponseXML", "closeConnection"} <= set(
        figures["methods"]
    )
    assert '"worst_p99_vs_target"' in capsys.readouterr().out

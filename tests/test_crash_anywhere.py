"""Crash anywhere (tests/crash.py): a full session of every document type, a process killed
by SIGKILL at a boundary of it and restarted, QBWC carrying on; then QuickBooks holds exactly
what an uninterrupted session leaves, no transfer is lost or stuck, and every read model equals
the log. On both stores, with the web process or the worker as the victim.

The bounded form (CI) takes every STRIDE-th boundary with the web process as the victim (every
other one of those with the worker), from a different first one for each store and victim, so
that together they cover a spread of methods and sides; and, with the web process as the
victim, always the four between QuickBooks applying a message that adds something and the
server recording its answer;
`pytest --full-proofs` takes every boundary (`python -m tests.bench crash` does the same
outside pytest, printing each run)."""

from __future__ import annotations

import pytest

import tests.qbsim.webconnector as webconnector
from engine.application import TransferEngine
from tests.conftest import POSTGRES_URL, _dsn, postgres_or_skip
from tests.crash import boundaries, fresh_store, prepare, run_once
from tests.helpers import API_PASSWORD, soap_call
from web import create_app

STRIDE = 15
VARIANTS = [("sqlite", "web", 0), ("postgres", "web", 3), ("sqlite", "worker", 9),
            ("postgres", "worker", 12)]  # fmt: skip


@pytest.mark.parametrize(("store", "victim", "first"), VARIANTS)
def test_a_kill_at_any_boundary_of_a_session_loses_nothing_and_doubles_nothing(
    store, victim, first, request
):
    if store == "postgres":
        postgres_or_skip()
    url = _dsn(POSTGRES_URL) if store == "postgres" else None
    with fresh_store(url) as (database_url, workdir):
        expected, methods = run_once(database_url, victim, None, workdir)
    assert expected.duplicates == 0 and expected.differences == []
    assert set(expected.quickbooks) == {
        "Invoice", "TimeTracking", "Bill", "PurchaseOrder", "ItemReceipt"
    }  # fmt: skip
    every = boundaries(methods)
    # Always the kills between QuickBooks applying an add and the server recording it.
    applied = [b for b in every if b.side == "before" and b.call in expected.after_adds]
    # The customers, items, vendor and account; the invoices; the bill, order and time; the
    # receipt.
    assert len(applied) == 4
    if request.config.getoption("full_proofs"):
        chosen = every
    elif victim == "web":
        chosen = every[first::STRIDE] + [b for b in applied if b not in every[first::STRIDE]]
    else:  # with the worker killed, the web process records every answer: fewer will do
        chosen = every[first :: 2 * STRIDE]
    assert {b.method for b in chosen} >= {"sendRequestXML", "receiveResponseXML"}
    problems = {}
    for at in chosen:
        with fresh_store(url) as (database_url, workdir):
            outcome, _ = run_once(database_url, victim, at, workdir)
        assert outcome.kills == 1
        if victim == "web":
            assert outcome.runs[0] == "error", outcome.runs  # QBWC felt it
        if outcome.problems(expected):
            problems[str(at)] = outcome.problems(expected)
    assert problems == {}


def test_each_soap_call_of_a_full_session_commits_at_most_once(tmp_path, monkeypatch):
    """Why both sides of each call are every boundary there is: a call stores what it did in
    one transaction or none, so a kill inside one is a kill before it (nothing committed) or
    after it (committed, the answer lost)."""
    shop = prepare(None, tmp_path)
    client = create_app(shop.settings).test_client()
    saves: list[int] = []
    real_save = TransferEngine.save

    def counted(self, *objs, **kwargs):
        saves.append(1)
        return real_save(self, *objs, **kwargs)

    def through_flask(url, method, params, **_):  # the same SOAP call, without a socket
        return soap_call(client, shop.reg.path, method, **params)

    monkeypatch.setattr(TransferEngine, "save", counted)
    monkeypatch.setattr(webconnector, "call", through_flask)
    per_call: list[tuple[str, int]] = []

    class Counting(webconnector.WebConnectorSim):
        def _call(self, method, **params):  # type: ignore[no-untyped-def]
            before = len(saves)
            try:
                return super()._call(method, **params)
            finally:
                per_call.append((method, len(saves) - before))

    sim = Counting(
        "http://127.0.0.1" + shop.reg.path, "qbwc-api", API_PASSWORD, shop.company,
        owner_id=shop.reg.owner_id, file_id=shop.reg.file_id, sleep=lambda s: None,
    )  # fmt: skip
    assert sim.run().outcome == "completed"
    assert len(shop.company.txns["Invoice"]) == 2 and len(shop.company.txns["ItemReceipt"]) == 1
    # The version calls store nothing; every other call stores once.
    assert per_call == [(m, 0 if m.endswith("Version") else 1) for m, _ in per_call]

"""The auditor's commands on SQLite and PostgreSQL: `audit replay` tells a transferred invoice's
story from the event log (a failed first attempt, a mapping changed in between, the second
attempt, the paid date) and `--as-of` shows the world before and after the change; `audit
verify` finds a damaged read model; `audit export` writes a connector's events with a SHA-256."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

from projections.runtime import open_view
from tests.qbsim.transactions import receive_payment
from tests.test_transfers_invoices import caught_up, session


def a_story(shop):
    """INV-5001 fails with a lock (3175), LOB-1 is mapped to a class, then it goes."""
    engine, reg, company, settings = shop
    caught_up(engine, settings)
    company.inject_status("InvoiceAddRq", 3175, times=2)  # both invoices
    session(engine, reg, company)
    failed = engine.get_transfer("invoice", "INV-5001", reg.connector_id)
    assert failed["status"] == "failed" and failed["failure"]["code"] == 3175
    time.sleep(0.01)  # the moments either side of the change differ in the log
    before_change = datetime.now(UTC)
    time.sleep(0.01)
    engine.set_mapping(
        reg.connector_id, "lines-of-business", "LOB-1", "Managed Services",
        directory=engine.directory, by="admin@example.com",
    )  # fmt: skip
    time.sleep(0.01)
    after_change = datetime.now(UTC)
    caught_up(engine, settings)
    session(engine, reg, company)
    done = engine.get_transfer("invoice", "INV-5001", reg.connector_id)
    assert done["status"] == "succeeded"
    # Paid in full in QuickBooks; the next run, once the lists are an hour old, brings it back.
    receive_payment(company, done["quickbooks"]["txn_id"], "1350.00", "2026-11-26")
    now = engine.clock()
    engine.clock = lambda: now + timedelta(minutes=61)
    caught_up(engine, settings)
    session(engine, reg, company)
    assert engine.get_document("invoice", "INV-5001")["paid_date"] == "2026-11-26"
    return before_change, after_change


def test_replay_tells_a_transferred_invoices_story_from_the_log(shop, cli):
    engine, reg, company, settings = shop
    before_change, after_change = a_story(shop)
    story = cli("audit", "replay", "--document", "invoice:INV-5001", "--format", "json").json()
    entries = story["entries"]
    whats = [(e["subject"].split()[0], e["what"]) for e in entries]
    assert whats[0] == ("document", "Imported")
    assert whats.count(("transfer", "Sent")) == 2
    assert whats.count(("transfer", "Failed")) == 1 and whats.count(("transfer", "Succeeded")) == 1
    assert whats.index(("transfer", "Failed")) < whats.index(("transfer", "Succeeded"))
    first, second = [e for e in entries if e["what"] == "Sent"]
    assert first["details"]["attempt"] == 1 and second["details"]["attempt"] == 2
    assert first["details"]["response"]["status"] == 3175
    assert second["details"]["response"]["status"] == 0
    # The mappings in force at each attempt, and the change between them (who, when).
    assert "LOB-1" not in first["details"]["mappings"].get("lines-of-business", {})
    mapped = second["details"]["mappings"]["lines-of-business"]["LOB-1"]
    assert "Managed Services" in json.dumps(mapped)
    assert first["details"]["settings"]["transfers"]["invoices"] is True
    assert story["state"]["transfers"] and set(story["state"]["transfers"].values()) == {
        "Succeeded"
    }
    # The text form tells the same, with the qbXML on request.
    text = cli("audit", "replay", "--document", "invoice:INV-5001", "--qbxml")
    assert text.exit_code == 0, text.stderr
    assert "mapping lines-of-business LOB-1 changed since then" in text.stdout
    assert "<InvoiceAddRq" in text.stdout and 'statusCode="3175"' in text.stdout

    # As of a moment before the change: one failed attempt, no mapping; after: the mapping.
    earlier = cli(
        "audit", "replay", "--document", "invoice:INV-5001", "--as-of", before_change.isoformat(),
        "--format", "json",
    ).json()  # fmt: skip
    assert [e["what"] for e in earlier["entries"]].count("Sent") == 1
    assert list(earlier["state"]["transfers"].values()) == ["Failed"]
    connector_then = cli(
        "audit", "replay", "--connector", str(reg.connector_id), "--as-of",
        before_change.isoformat(), "--format", "json",
    ).json()  # fmt: skip
    assert "LOB-1" not in connector_then["state"]["mappings"].get("lines-of-business", {})
    connector_after = cli(
        "audit", "replay", "--connector", str(reg.connector_id), "--as-of",
        after_change.isoformat(), "--format", "json",
    ).json()  # fmt: skip
    assert "LOB-1" in connector_after["state"]["mappings"]["lines-of-business"]
    change = [e for e in connector_after["entries"] if e["subject"] == "mappings"][-1]
    assert change["what"] == "Set" and change["by"] == "admin@example.com"
    assert [e for e in connector_after["entries"] if e["what"] == "Session"]

    # A session's story: its messages, with what QuickBooks answered to each.
    session_id = first["details"]["session_id"]
    told = cli("audit", "replay", "--session", session_id[:8], "--format", "json").json()
    answers = [a for e in told["entries"] for a in e["details"].get("answers", [])]
    assert any(a["status"] == 3175 for a in answers)


def test_replay_refuses_what_it_cannot_tell(shop, cli):
    for args, says in (
        ((), "give one of"),
        (("--document", "invoice"), "expected TYPE:ID"),
        (("--document", "invoice:NOPE-1"), "no invoice"),
        (("--document", "invoice:INV-5001", "--as-of", "yesterday"), "ISO 8601"),
        (("--document", "invoice:INV-5001", "--as-of", "2026-01-01T00:00:00"), "time zone"),
        (("--document", "invoice:INV-5001", "--as-of", "2000-01-01T00:00:00Z"), "by 2000"),
        (("--session", "ffffffff"), "no session"),
        (("--document", "timecard:T-1"), "timecard"),
        (("--document", "invoice:\x00INV"), "cannot be stored"),
        (("--connector", "Nobody's Books"), "no web connector"),
    ):
        result = cli("audit", "replay", *args)
        assert result.exit_code == 2 and says in result.stderr, (args, result.stderr)


def test_verify_finds_a_damaged_read_model_and_passes_a_sound_one(shop, cli):
    engine, reg, company, settings = shop
    a_story(shop)
    caught_up(engine, settings)
    clean = cli("audit", "verify", "--json")
    assert clean.exit_code == 0, clean.stdout
    assert clean.json()["differences"] == []
    assert clean.json()["read_models"]["Transfers"]["rows"] > 0
    view = open_view(settings, "transfers")
    try:
        damage = "UPDATE {transfers} SET status = ? WHERE psa_id = ?"
        view.write(None, (damage, ("queued", "INV-5001"), False))
        view.write(None, ("DELETE FROM {transfers} WHERE psa_id = ?", ("INV-5002",), False))
    finally:
        view.close()
    damaged = cli("audit", "verify", "--json")
    assert damaged.exit_code == 1
    found = {(d["read_model"], d["table"]): d for d in damaged.json()["differences"]}
    assert len(damaged.json()["differences"]) == 2
    changed = [
        d
        for d in damaged.json()["differences"]
        if d["stored"] and d["stored"]["psa_id"] == "INV-5001"
    ][0]
    assert changed["stored"]["status"] == "queued" and changed["rebuilt"]["status"] == "succeeded"
    missing = [d for d in damaged.json()["differences"] if d["stored"] is None][0]
    assert missing["rebuilt"]["psa_id"] == "INV-5002" and ("Transfers", "transfers") in found
    text = cli("audit", "verify")
    assert text.exit_code == 1 and "Transfers" in text.stdout and "1 differences" not in text.stdout


def test_export_writes_a_connectors_events_with_a_checksum(shop, cli, tmp_path):
    engine, reg, company, settings = shop
    a_story(shop)
    out = tmp_path / "acme.jsonl"
    done = cli(
        "audit", "export", "--connector", str(reg.connector_id), "--since", "2000-01-01",
        "--output", str(out), "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    data = out.read_bytes()
    assert done.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert (
        tmp_path / "acme.jsonl.sha256"
    ).read_text() == f"{hashlib.sha256(data).hexdigest()}  acme.jsonl\n"
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert len(lines) == done.json()["events"] > 0
    positions = [line["position"] for line in lines]
    assert positions == sorted(positions)
    topics = {line["topic"].rsplit(":", 1)[1] for line in lines}
    assert {"Transfer.Sent", "Transfer.Failed", "Exchange.RequestSent", "Mapping.Set"} <= topics
    assert any("<InvoiceAddRq" in line["event"].get("request_xml", "") for line in lines)
    # Only this connector's: the account's users and tokens are not in it.
    assert not any(
        line["topic"].rsplit(":", 1)[1].startswith(("User.", "Account.")) for line in lines
    )
    again = cli("audit", "export", "--connector", str(reg.connector_id), "--since", "2000-01-01",
                "--output", str(out))  # fmt: skip
    assert again.exit_code == 2 and "--force" in again.stderr
    later = cli("audit", "export", "--connector", str(reg.connector_id), "--since", "2999-01-01",
                "--output", str(out), "--force", "--json")  # fmt: skip
    assert later.json()["events"] == 0 and out.read_bytes() == b""
    folder = cli("audit", "export", "--connector", str(reg.connector_id), "--since", "2000-01-01",
                 "--output", str(tmp_path), "--force")  # fmt: skip
    assert folder.exit_code == 2 and "is a directory" in folder.stderr
    bad = cli("audit", "export", "--connector", str(reg.connector_id), "--since", "soon",
              "--output", str(out))  # fmt: skip
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_verify_runs_while_the_server_writes(shop):
    import threading

    from projections.runtime import running_projections
    from projections.verify import verify

    engine, reg, company, settings = shop
    stop, problems, rounds = threading.Event(), [], []

    def admin() -> None:  # an admin queueing and withdrawing a document, again and again
        try:
            while not stop.is_set():
                engine.mark_ready("invoice", ["INV-5003"], by="admin")
                engine.withdraw("invoice", ["INV-5003"], by="admin")
                rounds.append(1)
        except BaseException as exc:  # pragma: no cover - reported below
            problems.append(exc)

    with running_projections(settings, engine):
        thread = threading.Thread(target=admin)
        thread.start()
        try:
            results = [verify(settings, engine) for _ in range(3)]
        finally:
            stop.set()
            thread.join(30)
    assert not problems, problems
    assert len(rounds) >= 3  # the log moved on while verify read it
    positions = [r.position for result in results for r in result if r.read_model == "Transfers"]
    assert positions == sorted(positions)
    assert [d for result in results for r in result for d in r.differences] == []

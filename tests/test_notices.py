"""E-mail on transfer errors (issue 14): one digest per connector per session that ended with
failures, sent to a real SMTP server on loopback; an alert when sign-ins start failing; an
identical failure not reported again within 24 hours; exactly one message per digest across a
crash between deciding and sending."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest

from engine.aggregates.notice import Notice
from engine.commanding import utcnow
from tests.helpers import run_session
from tests.test_inventory_sync import store  # noqa: F401 (a fixture)
from tests.test_mail import smtp_server  # noqa: F401 (a fixture)
from tests.test_transfers_expenses import office  # noqa: F401 (a fixture)
from tests.test_transfers_invoices import caught_up
from web.bootstrap import bootstrap
from web.mail import OutboxDelivery, SmtpDelivery, SmtpTarget
from web.scheduler import JobContext, notifications

ADDRESSES = "ap@acme.example; it@acme.example"


def jobs_for(engine, settings, delivery) -> JobContext:
    return JobContext(engine, settings, delivery)


def received(inbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=policy.default) for _, _, raw in inbox.received]


def failing_session(engine, reg, company, settings) -> str:
    """A session in which QuickBooks refuses the first of the demo's two invoices."""
    company.inject_status("InvoiceAddRq", 3210)
    caught_up(engine, settings)
    return run_session(engine, reg, company)


def test_a_session_with_failures_sends_one_digest_to_a_real_smtp_server(shop, smtp_server):  # noqa: F811
    engine, reg, company, settings = shop
    engine.change_connector(reg.connector_id, emails=ADDRESSES)
    session_id = failing_session(engine, reg, company, settings)
    controller, inbox = smtp_server
    target = SmtpTarget.from_url(f"smtp://mailer:p%40ss@127.0.0.1:{controller.port}")
    jobs = jobs_for(engine, settings, SmtpDelivery(target, "qbtransfer@acme.example"))

    sent = notifications(jobs)
    assert len(sent) == 1 and len(inbox.received) == 1
    _, rcpt_tos, _ = inbox.received[0]
    assert rcpt_tos == ["ap@acme.example", "it@acme.example"]
    [message] = received(inbox)
    notice = engine.get_notice(sent[0])
    assert notice is not None and notice.key == f"sessions/{session_id}"
    assert message["Message-ID"] == f"<{notice.id}@qbtransfer>"
    assert "1 transfer failed" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [item] = notice.items
    assert "status 3210" in text and item["message"] in text
    assert f"qbtransfer history --document invoice:{item['psa_id']}" in text
    assert item["party"] and item["party"] in text
    assert "<table" in html and item["message"] in html
    jobs.close()

    notifications(jobs)  # nothing new: nothing more
    assert len(inbox.received) == 1
    jobs.close()


def test_an_identical_failure_within_24_hours_is_not_reported_again(shop, tmp_path):
    engine, reg, company, settings = shop
    engine.change_connector(reg.connector_id, emails=ADDRESSES)
    outbox = OutboxDelivery(tmp_path / "outbox", "qbtransfer@acme.example")
    failing_session(engine, reg, company, settings)
    jobs = jobs_for(engine, settings, outbox)
    assert len(notifications(jobs)) == 1
    failed = [
        t for t in ("INV-5001", "INV-5002")
        if engine.get_transfer("invoice", t, reg.connector_id)["status"] == "failed"
    ]  # fmt: skip
    engine.requeue_transfers(reg.connector_id, "invoice", failed, by="tests")
    second = failing_session(engine, reg, company, settings)
    assert notifications(jobs) == []
    notice = engine.get_notice(Notice.create_id(f"sessions/{second}"))
    assert notice is not None and notice.status == "nothing_new" and notice.repeats == 1
    assert len(list((tmp_path / "outbox").iterdir())) == 1
    jobs.close()


def test_a_transfer_refused_before_quickbooks_counts(office, tmp_path):  # noqa: F811
    engine, reg, company, settings = office
    engine.change_connector(reg.connector_id, emails="books@acme.example")
    engine.clear_mapping(reg.connector_id, "expense-reimbursable", "EXP-2", by="tests")
    caught_up(engine, settings)
    run_session(engine, reg, company)
    jobs = jobs_for(engine, settings, OutboxDelivery(tmp_path / "outbox", "q@acme.example"))
    [sent] = notifications(jobs)
    [item] = engine.get_notice(sent).items
    assert item["kind"] == "expense_reports" and item["code"] is None
    [eml] = (tmp_path / "outbox").iterdir()
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "refused before QuickBooks" in text and "mapped to no expense account" in text
    assert "qbtransfer history --document expense-report:" in text
    jobs.close()


def test_a_crash_between_deciding_and_sending_sends_exactly_one_message(shop, tmp_path):
    engine, reg, company, settings = shop
    engine.change_connector(reg.connector_id, emails=ADDRESSES)
    failing_session(engine, reg, company, settings)
    outbox = tmp_path / "outbox"
    jobs = jobs_for(engine, settings, OutboxDelivery(outbox, "q@acme.example"))
    [decided] = engine.decide_notices(jobs.notice_board())  # ... and the process dies here
    jobs.close()
    engine.close()

    restarted = bootstrap(settings)
    try:
        again = jobs_for(restarted, settings, OutboxDelivery(outbox, "q@acme.example"))
        assert notifications(again) == [decided]
        assert notifications(again) == []
        assert [p.name for p in outbox.iterdir()] == [f"{decided}.eml"]
        assert restarted.get_notice(decided).status == "sent"
        again.close()
    finally:
        restarted.close()


def test_a_crash_after_sending_resends_the_same_message(shop, tmp_path, smtp_server):  # noqa: F811
    engine, reg, company, settings = shop
    engine.change_connector(reg.connector_id, emails=ADDRESSES)
    failing_session(engine, reg, company, settings)
    controller, inbox = smtp_server
    target = SmtpTarget.from_url(f"smtp://mailer:p%40ss@127.0.0.1:{controller.port}")

    class DiesAfterSending(SmtpDelivery):
        def send(self, mail):
            super().send(mail)
            raise SystemExit("killed before the delivery was recorded")

    jobs = jobs_for(engine, settings, DiesAfterSending(target, "q@acme.example"))
    with pytest.raises(SystemExit):
        notifications(jobs)
    jobs.close()
    jobs = jobs_for(engine, settings, SmtpDelivery(target, "q@acme.example"))
    [sent] = notifications(jobs)
    first, second = received(inbox)
    assert first["Message-ID"] == second["Message-ID"] == f"<{sent}@qbtransfer>"
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
    assert notifications(jobs) == [] and len(inbox.received) == 2
    jobs.close()


def test_a_delivery_that_fails_is_recorded_and_tried_again_later(shop):
    engine, reg, company, settings = shop
    engine.change_connector(reg.connector_id, emails=ADDRESSES)
    failing_session(engine, reg, company, settings)

    class Refusing:
        calls = 0

        def send(self, mail):
            Refusing.calls += 1
            raise OSError("connection refused by mail.acme.example:25")

        def describe(self):
            return "smtp://mail.acme.example:25"

    jobs = jobs_for(engine, settings, Refusing())
    assert notifications(jobs) == []
    assert notifications(jobs) == []  # too soon for a second try
    assert Refusing.calls == 1
    [row] = jobs.notice_board().owed()
    notice = engine.get_notice(Notice.create_id(row["key"]))
    assert notice.status == "failing" and "connection refused" in notice.last_error
    base = utcnow()
    engine.clock = lambda: base + timedelta(seconds=11)
    assert notifications(jobs) == []
    assert Refusing.calls == 2
    jobs.close()


def test_sign_ins_that_start_failing_send_one_alert(live, tmp_path):
    from tests.test_qbwc_sync import update

    live.engine.change_connector(live.reg.connector_id, emails=ADDRESSES)
    from tests.test_qbwc_sync import small_company

    company = small_company()
    for _ in range(3):
        assert update(live, company, password="wrong").outcome == "nvu"
    outbox = tmp_path / "outbox"
    jobs = jobs_for(live.engine, live.settings, OutboxDelivery(outbox, "q@acme.example"))
    [sent] = notifications(jobs)
    notice = live.engine.get_notice(sent)
    assert notice.topic == "authentication" and 90500 <= notice.items[0]["code"] < 90600
    [eml] = outbox.iterdir()
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert "sign-in failing" in message["Subject"]
    assert notifications(jobs) == []
    jobs.close()


def test_without_addresses_the_decision_is_recorded_and_nothing_is_sent(shop, tmp_path):
    engine, reg, company, settings = shop
    session_id = failing_session(engine, reg, company, settings)
    jobs = jobs_for(engine, settings, OutboxDelivery(tmp_path / "outbox", "q@acme.example"))
    assert notifications(jobs) == []
    notice = engine.get_notice(Notice.create_id(f"sessions/{session_id}"))
    assert notice is not None and notice.status == "no_recipients"
    assert not (tmp_path / "outbox").exists()
    jobs.close()


def test_notices_list_shows_what_was_decided_and_whether_it_went(cli, settings, tmp_path):
    from tests.helpers import demo_company, register_connector

    engine = bootstrap(settings)
    try:
        reg = register_connector(engine)
        engine.change_connector(reg.connector_id, emails="ap@acme.example")
        company = demo_company()
        company.write_file_id(reg.owner_id, reg.file_id)
        for _ in range(2):
            engine.qbwc_authenticate(reg.registration_id, "qbwc-api", "not the password")
        jobs = JobContext(engine, settings, OutboxDelivery(tmp_path / "o", "q@acme.example"))
        [sent] = notifications(jobs)
        jobs.close()
    finally:
        engine.close()
    result = cli("notices", "list", "--json")
    assert result.exit_code == 0, result.stderr
    [row] = result.json()["notices"]
    assert row["id"] == str(sent) and row["status"] == "sent" and row["topic"] == "authentication"
    assert row["recipients"] == ["ap@acme.example"] and row["attempts"] == 0
    table = cli("notices", "list")
    assert "authentication" in table.stdout and "sent" in table.stdout


def test_an_inventory_sync_that_fails_sends_one_alert(store, tmp_path):  # noqa: F811
    from engine.steps.inventory import MULTI_USER

    engine, reg, company, settings = store
    engine.change_connector(reg.connector_id, emails="stock@acme.example")
    company.file_mode = "MultiUser"
    run_session(engine, reg, company)
    outbox = tmp_path / "outbox"
    jobs = jobs_for(engine, settings, OutboxDelivery(outbox, "q@acme.example"))
    [sent] = notifications(jobs)
    notice = engine.get_notice(sent)
    assert notice.topic == "inventory" and notice.items[0]["message"] == MULTI_USER
    [eml] = outbox.iterdir()
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert "inventory sync failed" in message["Subject"]
    assert MULTI_USER in message.get_body(("plain",)).get_content()
    assert notifications(jobs) == []
    jobs.close()

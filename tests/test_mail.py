"""Mail delivery (issue 14's first step): SMTP_URL parsed without ever repeating its password,
a real SMTP server on loopback (aiosmtpd) receiving a plain-text and HTML message with a
Message-ID derived from what it reports, and the `.eml` outbox when no server is configured."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from engine.errors import ConfigurationError
from tests.helpers import free_port
from web.mail import Mail, MailDeliveryError, OutboxDelivery, SmtpTarget, delivery_for

MAIL = Mail(
    key="digest-3f2a",
    to=("ap@acme.example", "it@acme.example"),
    subject="qbtransfer: 2 transfers failed",
    text="invoice INV-5003 failed: 3140",
    html="<p>invoice <b>INV-5003</b> failed: 3140</p>",
)


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"p@ss")
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_a_message_reaches_a_real_smtp_server(smtp_server):
    controller, inbox = smtp_server
    url = f"smtp://mailer:p%40ss@127.0.0.1:{controller.port}"
    delivery = delivery_for(url, outbox=Path("unused"), sender="qbtransfer@msp.example")
    assert "p@ss" not in delivery.describe() and "mailer@127.0.0.1" in delivery.describe()
    delivery.send(MAIL)
    [(sender, recipients, content)] = inbox.received
    assert sender == "qbtransfer@msp.example" and recipients == list(MAIL.to)
    message = email.message_from_bytes(content, policy=policy.default)
    assert message["Message-ID"] == "<digest-3f2a@qbtransfer>"
    assert message.get_body(("plain",)).get_content().strip() == MAIL.text
    assert "<b>INV-5003</b>" in message.get_body(("html",)).get_content()


def test_a_refusal_or_an_unreachable_server_is_an_error_without_the_password(
    smtp_server, monkeypatch
):
    monkeypatch.setattr("web.mail.SMTP_TIMEOUT_S", 1)  # aiosmtpd answers a bad login slowly
    controller, inbox = smtp_server
    wrong = delivery_for(f"smtp://mailer:Wrong-pw-9@127.0.0.1:{controller.port}", Path("unused"))
    with pytest.raises(MailDeliveryError) as refused:
        wrong.send(MAIL)
    assert "Wrong-pw-9" not in str(refused.value) and inbox.received == []
    gone = delivery_for(f"smtp://mailer:Wrong-pw-9@127.0.0.1:{free_port()}", Path("unused"))
    with pytest.raises(MailDeliveryError) as unreachable:
        gone.send(MAIL)
    assert "cannot deliver to smtp://mailer@127.0.0.1" in str(unreachable.value)
    assert "Wrong-pw-9" not in str(unreachable.value)


def test_without_smtp_url_messages_are_eml_files_written_once(tmp_path):
    delivery = delivery_for(None, tmp_path / "var" / "outbox")
    assert isinstance(delivery, OutboxDelivery)
    delivery.send(MAIL)
    delivery.send(MAIL)  # sent again after a crash: the same message, still one file
    [written] = list((tmp_path / "var" / "outbox").iterdir())
    assert written.name == "digest-3f2a.eml"
    message = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == "ap@acme.example, it@acme.example"
    assert message.get_body(("html",)) is not None


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mx.example", ("mx.example", 25, False, False)),
        ("smtps://u:p@mx.example", ("mx.example", 465, True, False)),
        ("smtp://u:p@mx.example?starttls=1", ("mx.example", 587, False, True)),
        ("smtp://mx.example:2525", ("mx.example", 2525, False, False)),
    ],
)
def test_smtp_urls(url, expected):
    target = SmtpTarget.from_url(url)
    assert (target.host, target.port, target.implicit_tls, target.starttls) == expected
    assert "p@" not in repr(target) and ":p@" not in target.describe()


@pytest.mark.parametrize(
    "url, match",
    [
        ("http://mx.example", "must start with smtp://"),
        ("smtp://u:s3cret@:25", "must name a host"),
        ("smtp://u:s3cret@mx.example:port", "not a number"),
        ("smtps://u:s3cret@mx.example?starttls=1", "TLS already"),
    ],
)
def test_unusable_smtp_urls_are_refused_without_the_password(url, match):
    with pytest.raises(ConfigurationError, match=match) as refused:
        SmtpTarget.from_url(url)
    assert "s3cret" not in str(refused.value)


def test_info_says_where_mail_goes_without_the_password(cli, monkeypatch):
    assert cli("info", "--json").json()["mail"].startswith("written to ")
    monkeypatch.setenv("SMTP_URL", "smtps://mailer:Hidden-pw-7@mx.example")
    result = cli("info", "--json")
    assert result.json()["mail"] == "sent through smtps://mailer@mx.example:465"
    assert "Hidden-pw-7" not in result.stdout + result.stderr
    from engine.settings import Settings

    assert "Hidden-pw-7" not in repr(Settings.from_env({"SMTP_URL": "smtp://u:Hidden-pw-7@h"}))

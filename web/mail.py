"""Delivering e-mail: to the SMTP server `SMTP_URL` names (`smtp://user:pass@host:port`,
`smtps://` for implicit TLS, `?starttls=1`), or, without one, as `.eml` files in `var/outbox/`
so the embedded default needs no mail server.

Sending is retry-safe: a message's Message-ID is derived from what it reports (a digest's id),
so a message sent again after a crash is the same message, which mail clients show once, and
the outbox keeps one file per Message-ID. The SMTP password is never part of a description, a
log line or an error.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from engine.errors import ConfigurationError
from engine.text import excerpt

SMTP_TIMEOUT_S = 10
DEFAULT_SENDER = "qbtransfer@localhost"
TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpTarget:
    """Where SMTP_URL says mail goes; the password stays out of every description."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """Parse SMTP_URL, refusing (without repeating a password) what cannot be used."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps"):
            raise ConfigurationError(
                "SMTP_URL must start with smtp:// or smtps:// (implicit TLS), not "
                f"{excerpt(parts.scheme or '(nothing)')}"
            )
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError("SMTP_URL has a port that is not a number") from None
        if not parts.hostname:
            raise ConfigurationError("SMTP_URL must name a host: smtp://user:pass@host:port")
        query = parse_qs(parts.query)
        starttls = (query.get("starttls", ["0"])[0] or "").lower() in TRUE
        if starttls and parts.scheme == "smtps":
            raise ConfigurationError(
                "SMTP_URL: ?starttls=1 is for smtp://, smtps:// is TLS already"
            )
        return cls(
            host=parts.hostname,
            port=port or (465 if parts.scheme == "smtps" else 587 if starttls else 25),
            implicit_tls=parts.scheme == "smtps",
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def describe(self) -> str:
        """Where mail goes, in words, without the password."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        tls = " (STARTTLS)" if self.starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{tls}"


@dataclass(frozen=True)
class Mail:
    """One message: its stable id (what it reports), recipients, subject and both bodies."""

    key: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str

    @property
    def message_id(self) -> str:
        return f"<{self.key}@qbtransfer>"


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The message as sent: plain text and HTML alternatives, a Message-ID from its key."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = mail.message_id
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class Delivery(Protocol):
    """Something that delivers a message (again, harmlessly, if asked twice)."""

    def send(self, mail: Mail) -> None: ...

    def describe(self) -> str: ...


class MailDeliveryError(Exception):
    """The message could not be delivered now; sending it again later is safe."""


@dataclass
class OutboxDelivery:
    """Messages as `.eml` files in a folder, one per Message-ID."""

    folder: Path
    sender: str = DEFAULT_SENDER

    def send(self, mail: Mail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{_file_safe(mail.key)}.eml"
        if target.exists():
            return  # the same message, already written
        partial = target.with_suffix(".eml.partial")
        partial.write_bytes(bytes(build_message(mail, self.sender)))
        os.replace(partial, target)  # whole or not at all

    def describe(self) -> str:
        return f"written to {self.folder}"


@dataclass
class SmtpDelivery:
    """Messages handed to an SMTP server."""

    target: SmtpTarget
    sender: str = DEFAULT_SENDER

    def send(self, mail: Mail) -> None:
        message = build_message(mail, self.sender)
        target = self.target
        try:
            if target.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    target.host, target.port, timeout=SMTP_TIMEOUT_S,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                client = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT_S)
            with client:
                if target.starttls:
                    client.starttls(context=ssl.create_default_context())
                if target.username:
                    client.login(target.username, target.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            if target.password:
                reason = reason.replace(target.password, "***")
            raise MailDeliveryError(
                f"cannot deliver to {target.describe()}: {excerpt(reason)}"
            ) from None

    def describe(self) -> str:
        return f"sent through {self.target.describe()}"


def delivery_for(smtp_url: str | None, outbox: Path, sender: str = DEFAULT_SENDER) -> Delivery:
    """SMTP when SMTP_URL is set, else the outbox folder."""
    if smtp_url:
        return SmtpDelivery(SmtpTarget.from_url(smtp_url), sender)
    return OutboxDelivery(outbox, sender)


def _file_safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:120]

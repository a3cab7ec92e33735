"""Sending e-mail: a small SMTP client and the "email" outbox handler.

`SMTP_URL` is `smtp://user:password@host:587` (STARTTLS whenever the server offers it) or
`smtps://user:password@host:465` (TLS from the first byte). The stdlib `smtplib` runs in a
worker thread with a socket timeout on every step. Errors are classified here: 4xx replies
and connection trouble are retried by the outbox, 5xx replies are given up. The password is
never sent over a plain connection, except to a server on this machine.

SMTP has no way to ask whether a message already went out, so a retry after a connection
lost mid-DATA may deliver twice; the Message-ID is derived from the outbox key, so mail
clients can tell the copies are one message.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol
from urllib.parse import unquote, urlsplit

from voice_agent.errors import AgentError
from voice_agent.messaging.dispatcher import GiveUp, OutboxDispatcher, RetryLater
from voice_agent.outbox.jobs import SendEmail
from voice_agent.storage.base import OutboxItem

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
MAX_SUBJECT = 200
MAX_BODY = 100_000


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server (parsed from `SMTP_URL`)."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse `smtp://user:pass@host:port` or `smtps://…`; user and password may be %-quoted."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587")
        return cls(
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def local(self) -> bool:
        """Whether the server runs on this machine (a plain connection is then acceptable)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class EmailSendError(AgentError):
    """The server refused or could not be reached; `retryable` drives the outbox."""

    def __init__(self, message: str, *, retryable: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class EmailSender(Protocol):
    """What the outbox needs from a mail transport."""

    async def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; raise `EmailSendError` on failure."""
        ...


def classify(exc: Exception) -> EmailSendError:
    """Map an `smtplib`/socket error: 4xx and connection trouble retry, 5xx do not."""
    if isinstance(exc, EmailSendError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        temporary = any(400 <= code < 500 for code in codes)
        return EmailSendError(
            f"recipient refused ({', '.join(map(str, codes))})",
            retryable=temporary,
            code=codes[0] if codes else None,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        code = int(exc.smtp_code)
        return EmailSendError(
            f"smtp server answered {code}", retryable=not 500 <= code < 600, code=code
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return EmailSendError(f"smtp server does not support it: {exc}", retryable=False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message
        return EmailSendError(f"smtp server certificate refused: {reason}", retryable=False)
    if isinstance(exc, (smtplib.SMTPException, OSError, TimeoutError)):
        return EmailSendError(f"smtp server unreachable: {type(exc).__name__}", retryable=True)
    raise exc


class SmtpSender:
    """`EmailSender` over SMTP (stdlib `smtplib` in a thread)."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._config = config
        self._timeout = timeout
        self._context = ssl_context

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> SmtpSender:
        """A sender for `SMTP_URL`."""
        return cls(SmtpConfig.from_url(url), timeout=timeout, ssl_context=ssl_context)

    async def send(self, message: EmailMessage) -> None:
        """Connect, secure, log in, send and quit; one connection per message."""
        try:
            await asyncio.to_thread(self._send, message)
        except Exception as exc:
            raise classify(exc) from None

    def _send(self, message: EmailMessage) -> None:
        config = self._config
        context = self._context or ssl.create_default_context()
        client: smtplib.SMTP
        if config.implicit_tls:
            client = smtplib.SMTP_SSL(
                config.host, config.port, timeout=self._timeout, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=self._timeout)
        try:
            client.ehlo()
            secure = config.implicit_tls
            if not secure and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
                secure = True
            if config.username:
                if not secure and not config.local:
                    raise EmailSendError(
                        "smtp server offers no STARTTLS; not sending the password in clear "
                        "(use smtps:// or a server with STARTTLS)",
                        retryable=False,
                    )
                client.login(config.username, config.password or "")
            client.send_message(message)
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the message was accepted; a failed goodbye must not resend it
        finally:
            client.close()


def message_id(key: str, from_address: str) -> str:
    """A Message-ID that is the same for every attempt of one outbox item."""
    domain = from_address.rpartition("@")[2] or "voice-agent.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(
    *, from_address: str, to: str, subject: str, body: str, key: str, now: datetime
) -> EmailMessage:
    """A plain-text message with From, To, Subject, Date and a stable Message-ID."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to
    message["Subject"] = subject[:MAX_SUBJECT]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(key, from_address)
    message.set_content(body[:MAX_BODY])
    return message


class EmailOutbox:
    """Sends `SendEmail` jobs."""

    def __init__(self, sender: EmailSender, *, from_address: str) -> None:
        self._sender = sender
        self._from = from_address

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Handle the "email" kind on `dispatcher`."""
        dispatcher.register(SendEmail, self.handle_email)

    async def handle_email(self, job: SendEmail, item: OutboxItem, now: datetime) -> None:
        """Send one e-mail; RetryLater on 4xx or connection trouble, GiveUp on 5xx."""
        to, subject, body = job.to.strip(), job.subject.strip(), job.body
        if "@" not in to or not subject or not body:
            raise GiveUp("email job needs 'to', 'subject' and 'body'")
        message = build_message(
            from_address=self._from,
            to=to,
            subject=subject,
            body=body,
            key=item.idempotency_key,
            now=now,
        )
        try:
            await self._sender.send(message)
        except EmailSendError as exc:
            if exc.retryable:
                raise RetryLater(str(exc)) from None
            raise GiveUp(str(exc)) from None
        log.info("outbox %s: e-mail sent (%s)", item.id, job.purpose or "email")

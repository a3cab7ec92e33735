"""E-mail through the outbox to a real local SMTP server (aiosmtpd): sent, retried, given up."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from voice_agent.followups.runtime import build_runtime
from voice_agent.messaging.dispatcher import OutboxDispatcher, backoff_delay
from voice_agent.messaging.email import EmailOutbox, SmtpConfig, SmtpSender, message_id
from voice_agent.outbox import Outbox, SendEmail
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore

from .conftest import Clock
from .helpers import outbox_item
from .test_digest import END, local, seed_conversation

FROM = "agent@example.com"
OWNER_EMAIL = "owner@example.com"


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives (or refuses recipients)."""

    received: list[dict[str, Any]] = field(default_factory=list)
    rcpt_reply: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "message": email.message_from_bytes(envelope.content),
                # STARTTLS sets session.ssl; with implicit TLS the transport itself is TLS.
                "tls": session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                "authenticated": session.authenticated,
            }
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(inbox: Inbox, port: int, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = start_server(inbox, port)
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def dispatcher_for(store: SqlStore, sender: SmtpSender, clock: Clock) -> OutboxDispatcher:
    dispatcher = OutboxDispatcher(store, worker="w1", clock=clock, jitter=lambda: 1.0)
    EmailOutbox(sender, from_address=FROM).register(dispatcher)
    return dispatcher


async def queue(store: SqlStore, clock: Clock, key: str = "mail:1") -> None:
    email = SendEmail(to=OWNER_EMAIL, subject="Hello", body="Body text")
    await Outbox(store).put(email, idempotency_key=key, due_at=clock.now)


def check_headers(message: EmailMessage, subject: str) -> None:
    assert message["From"] == FROM
    assert message["To"] == OWNER_EMAIL
    assert message["Subject"] == subject


# -- the digest, end to end ------------------------------------------------------------------


async def test_email_digest_goes_through_smtp(
    store: SqlStore, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    owner = settings.model_copy(
        update={
            "owner_digest_email": OWNER_EMAIL,
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{port}"),
            "email_from": FROM,
        }
    )
    await seed_conversation(store, "CA-1", local(10), state={"first_name": "Ann"})
    clock = Clock(END + dt.timedelta(seconds=3))
    runtime = build_runtime(owner, store=store, hcp=None, sender=None, clock=clock)

    report = await runtime.run_once()
    again = await runtime.run_once()

    assert (report.done, again.claimed) == (1, 0)
    (mail,) = inbox.received
    assert (mail["mail_from"], mail["rcpt_tos"], mail["tls"]) == (FROM, [OWNER_EMAIL], False)
    message = mail["message"]
    check_headers(message, "Bright Oak Home Services: daily summary, Tue Dec 1 (1 call, 0 booked)")
    assert message["Message-ID"] == message_id("digest:daily:2026-11-30:email", FROM)
    body = message.get_payload(decode=True).decode()
    assert "Calls answered: 1" in body and "Daily summary for Bright Oak Home Services" in body


# -- failures --------------------------------------------------------------------------------


async def test_smtp_down_is_retried_later_then_sent_once(store: SqlStore, clock: Clock) -> None:
    port = free_port()  # nothing listens here yet
    dispatcher = dispatcher_for(store, SmtpSender(SmtpConfig("127.0.0.1", port, False)), clock)
    await queue(store, clock)

    first = await dispatcher.run_once()

    item = await outbox_item(store, "mail:1")
    assert first.retried == 1 and item.status == "pending"
    assert "unreachable" in (item.last_error or "")
    assert item.next_attempt_at == clock.now + backoff_delay(1)
    inbox = Inbox()
    controller = start_server(inbox, port)
    try:
        assert (await dispatcher.run_once(clock.advance(seconds=31))).done == 1
        assert (await dispatcher.run_once(clock.advance(minutes=5))).claimed == 0
    finally:
        controller.stop()
    (mail,) = inbox.received
    check_headers(mail["message"], "Hello")


@pytest.mark.parametrize(
    ("reply", "status"),
    [("550 5.1.1 No such mailbox", "failed"), ("451 4.3.0 Try again later", "pending")],
)
async def test_permanent_refusal_gives_up_temporary_retries(
    store: SqlStore, clock: Clock, smtp: tuple[Inbox, int], reply: str, status: str
) -> None:
    inbox, port = smtp
    inbox.rcpt_reply = reply
    dispatcher = dispatcher_for(store, SmtpSender(SmtpConfig("127.0.0.1", port, False)), clock)
    await queue(store, clock)

    await dispatcher.run_once()

    item = await outbox_item(store, "mail:1")
    assert item.status == status
    assert reply[:3] in (item.last_error or "")
    assert inbox.received == []


# -- TLS and login ---------------------------------------------------------------------------


async def test_starttls_then_login(
    store: SqlStore, clock: Clock, certificate: tuple[Path, Path]
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"p@ss word")

    inbox, port = Inbox(), free_port()
    controller = start_server(
        inbox,
        port,
        tls_context=server_tls(certificate),
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    try:
        config = SmtpConfig.from_url(f"smtp://agent%40example.com:p%40ss%20word@127.0.0.1:{port}")
        sender = SmtpSender(config, ssl_context=client_tls(certificate))
        dispatcher = dispatcher_for(store, sender, clock)
        await queue(store, clock)
        report = await dispatcher.run_once()
    finally:
        controller.stop()

    assert report.done == 1
    (mail,) = inbox.received
    assert mail["tls"] is True and mail["authenticated"] is True
    assert logins == [(b"agent@example.com", b"p@ss word")]
    check_headers(mail["message"], "Hello")


async def test_implicit_tls_and_an_untrusted_certificate(
    store: SqlStore, clock: Clock, certificate: tuple[Path, Path]
) -> None:
    inbox, port = Inbox(), free_port()
    controller = start_server(inbox, port, ssl_context=server_tls(certificate))
    try:
        url = f"smtps://127.0.0.1:{port}"
        trusted = SmtpSender.from_url(url, ssl_context=client_tls(certificate))
        untrusted = SmtpSender.from_url(url)
        await queue(store, clock, "mail:trusted")
        assert (await dispatcher_for(store, trusted, clock).run_once()).done == 1
        await queue(store, clock, "mail:untrusted")
        assert (await dispatcher_for(store, untrusted, clock).run_once()).given_up == 1
    finally:
        controller.stop()

    (mail,) = inbox.received
    assert mail["tls"] is True
    item = await outbox_item(store, "mail:untrusted")
    assert "certificate" in (item.last_error or "")


async def test_password_is_not_sent_in_clear_to_a_remote_server(
    store: SqlStore, clock: Clock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    # The server is local, but the sender must treat it as remote (no STARTTLS offered).
    sender = SmtpSender(RemoteConfig("127.0.0.1", port, False, "agent", "secret"))
    await queue(store, clock)

    await dispatcher_for(store, sender, clock).run_once()

    item = await outbox_item(store, "mail:1")
    assert item.status == "failed" and "in clear" in (item.last_error or "")
    assert inbox.received == []


class RemoteConfig(SmtpConfig):
    """A config whose host counts as remote (for the plain-text password check)."""

    @property
    def local(self) -> bool:
        return False


def test_smtp_url_parsing() -> None:
    plain = SmtpConfig.from_url("smtp://user%40x.com:p%3Ass@mail.example.com")
    secure = SmtpConfig.from_url("smtps://mail.example.com")

    assert plain == SmtpConfig("mail.example.com", 587, False, "user@x.com", "p:ss")
    assert (secure.port, secure.implicit_tls, secure.username) == (465, True, None)
    assert SmtpConfig.from_url("smtp://localhost:25").local
    assert SmtpConfig.from_url("smtp://[::1]:25").local
    assert not plain.local
    with pytest.raises(ValueError):
        SmtpConfig.from_url("http://mail.example.com")

"""Wiring: one outbox dispatcher with every SMS and follow-up handler, plus its scheduler.

`messaging_runtime` is what the composition root (`voice_agent.runtime`) calls for the app
and the CLI (`voice-agent followups run-once`). Without Twilio credentials no SMS handler is
registered, so texts wait in the outbox until Twilio is configured instead of failing;
likewise e-mail without SMTP_URL and EMAIL_FROM. Each run first checks whether an owner
digest is due (see `digest`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hcp import HcpClient
from voice_agent.followups.base import Texter, WriteMarks
from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.digest import OwnerDigest, email_ready
from voice_agent.followups.events import HcpEvents
from voice_agent.followups.gateway import ClientGateway, FollowupHcp
from voice_agent.followups.reactions import Reactions
from voice_agent.followups.reminders import Reminders
from voice_agent.followups.replies import Replies
from voice_agent.followups.scheduler import FollowupScheduler
from voice_agent.followups.texts import help_text
from voice_agent.messaging.agent import EngineSmsAgent
from voice_agent.messaging.dispatcher import DispatchReport, OutboxDispatcher
from voice_agent.messaging.email import EmailOutbox, EmailSender, SmtpSender
from voice_agent.messaging.hcp_writes import HcpWriteReplayer
from voice_agent.messaging.inbound import SmsAgent, SmsInbound
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.outbox import SmsOutbox
from voice_agent.messaging.sender import SmsSender, TwilioSmsSender
from voice_agent.messaging.threads import SmsThreads
from voice_agent.services import Services
from voice_agent.settings import Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.storage.base import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
STATUS_CALLBACK_PATH = "/twilio/sms/status"


def worker_name() -> str:
    """A name unique to this process, for outbox leases."""
    return f"{socket.gethostname()}:{os.getpid()}"


def sender_from_settings(settings: Settings) -> SmsSender | None:
    """The Twilio sender when TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN/TWILIO_PHONE_NUMBER are set."""
    if not (settings.twilio_enabled and settings.twilio_phone_number):
        return None
    assert settings.twilio_account_sid and settings.twilio_auth_token
    base_url = settings.twilio_api_base_url
    return TwilioSmsSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        from_number=settings.twilio_phone_number,
        base_url=str(base_url) if base_url else None,
    )


@dataclass
class MessagingRuntime:
    """The SMS and follow-up machinery of one process."""

    store: Store
    config: FollowupConfig
    clock: Clock
    dispatcher: OutboxDispatcher
    scheduler: FollowupScheduler
    sender: SmsSender | None
    optouts: OptOuts
    threads: SmsThreads
    marks: WriteMarks
    webhook_secrets: list[str] | None = None  # from the vault, read once
    digest: OwnerDigest | None = None

    async def run_once(self) -> DispatchReport:
        """Queue the owner digest if one is due, then run everything due now."""
        if self.digest is not None:
            await self.digest.check_safely(self.clock())
        return await self.dispatcher.run_once(self.clock())

    def kick(self) -> None:
        """Ask the scheduler to run soon (no-op when it is not started)."""
        self.scheduler.wake()

    async def aclose(self) -> None:
        """Stop the scheduler and close the sender."""
        await self.scheduler.stop()
        if self.sender is not None:
            await self.sender.aclose()


def email_sender_from_settings(settings: Settings) -> EmailSender | None:
    """The SMTP sender when SMTP_URL and EMAIL_FROM are set."""
    if not (email_ready(settings) and settings.smtp_url):
        return None
    return SmtpSender.from_url(settings.smtp_url.get_secret_value())


def build_runtime(
    settings: Settings,
    *,
    store: Store,
    hcp: HcpClient | FollowupHcp | None,
    agent: SmsAgent | None = None,
    sender: SmsSender | None = None,
    clock: Clock | None = None,
    config: FollowupConfig | None = None,
    worker: str | None = None,
    email_sender: EmailSender | None = None,
    digest_settings: Callable[[], Awaitable[Settings]] | None = None,
) -> MessagingRuntime:
    """Build the dispatcher with every handler registered, and its scheduler.

    `digest_settings` gives the owner-digest settings at each tick (default: the saved
    profile over `settings`, re-read each time, so a change on the dashboard applies
    without a restart).
    """
    clock = clock or (lambda: datetime.now(UTC))
    config = config or FollowupConfig.from_settings(settings)
    gateway = ClientGateway(hcp, store) if isinstance(hcp, HcpClient) else hcp
    sender = sender if sender is not None else sender_from_settings(settings)
    optouts = OptOuts(store, clock=clock)
    threads = SmsThreads(store)
    texter = Texter(store, threads, config)
    marks = WriteMarks(store, config.echo_window)
    replies = None
    if gateway is not None:
        replies = Replies(hcp=gateway, store=store, threads=threads, marks=marks, config=config)
    dispatcher = OutboxDispatcher(store, worker=worker or worker_name(), clock=clock)
    if sender is not None:
        callback = (
            str(settings.public_base_url).rstrip("/") + STATUS_CALLBACK_PATH
            if settings.public_base_url
            else None
        )
        SmsOutbox(
            store,
            sender,
            optouts,
            from_number=settings.twilio_phone_number,
            office_number=settings.office_number,
            status_callback_url=callback,
        ).register(dispatcher)
    else:
        log.info("sms sending off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER")
    if email_sender is None:
        email_sender = email_sender_from_settings(settings)
    if email_sender is not None and settings.email_from:
        EmailOutbox(email_sender, from_address=settings.email_from).register(dispatcher)
    SmsInbound(
        store,
        threads,
        optouts,
        agent=agent,
        replies=replies,
        thread_window=config.thread_window,
        help_text=lambda: help_text(config.business_name, config.office_number),
    ).register(dispatcher)
    if isinstance(hcp, HcpClient):
        HcpWriteReplayer(store, hcp, settings=settings).register(dispatcher)
    if gateway is not None:
        reactions = Reactions(
            hcp=gateway, store=store, threads=threads, texter=texter, marks=marks, config=config
        )
        HcpEvents(store, reactions).register(dispatcher)
        Reminders(
            hcp=gateway, store=store, threads=threads, optouts=optouts, texter=texter, config=config
        ).register(dispatcher)
    else:
        log.info("hcp follow-ups off: no HCP client")
    digest = OwnerDigest(store, digest_settings or SettingsSource(settings, store).reload)

    async def tick() -> DispatchReport:
        await digest.check_safely(clock())
        return await dispatcher.run_once(clock())

    scheduler = FollowupScheduler(tick, interval=config.poll_interval.total_seconds())
    return MessagingRuntime(
        store=store,
        config=config,
        clock=clock,
        dispatcher=dispatcher,
        scheduler=scheduler,
        sender=sender,
        optouts=optouts,
        threads=threads,
        marks=marks,
        digest=digest,
    )


def messaging_runtime(
    source: SettingsSource, services: Services, *, clock: Clock | None = None
) -> MessagingRuntime:
    """The runtime over the app's services: texts are answered by the live engine, and the
    owner digest reads its settings from `source` (reloaded at each tick)."""
    return build_runtime(
        source.base,
        store=services.store,
        hcp=services.hcp,
        agent=EngineSmsAgent(services.engine, services.store),
        clock=clock,
        digest_settings=source.reload,
    )

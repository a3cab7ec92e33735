"""Wiring: one outbox dispatcher with every SMS and follow-up handler, plus its scheduler.

`build_runtime` is what the app (lifespan) and the CLI (`voice-agent followups run-once`)
call. Without Twilio credentials no SMS handler is registered, so texts wait in the
outbox until Twilio is configured instead of failing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hcp import HcpClient
from voice_agent.followups.base import Followups
from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.events import HcpEvents
from voice_agent.followups.gateway import ClientGateway, FollowupHcp
from voice_agent.followups.reactions import Reactions
from voice_agent.followups.reminders import Reminders
from voice_agent.followups.replies import Replies
from voice_agent.followups.scheduler import FollowupScheduler
from voice_agent.followups.texts import help_text
from voice_agent.messaging.agent import EngineSmsAgent
from voice_agent.messaging.dispatcher import DispatchReport, OutboxDispatcher
from voice_agent.messaging.hcp_writes import HcpWriteReplayer
from voice_agent.messaging.inbound import SmsAgent, SmsInbound
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.outbox import SmsOutbox
from voice_agent.messaging.sender import SmsSender, TwilioSmsSender
from voice_agent.messaging.threads import SmsThreads
from voice_agent.services import Services
from voice_agent.settings import Settings
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
    followups: Followups | None
    webhook_secrets: list[str] | None = None  # from the vault, read once

    async def run_once(self) -> DispatchReport:
        """Run everything due now."""
        return await self.dispatcher.run_once(self.clock())

    def kick(self) -> None:
        """Ask the scheduler to run soon (no-op when it is not started)."""
        self.scheduler.wake()

    async def aclose(self) -> None:
        """Stop the scheduler and close the sender."""
        await self.scheduler.stop()
        if self.sender is not None:
            await self.sender.aclose()


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
) -> MessagingRuntime:
    """Build the dispatcher with every handler registered, and its scheduler."""
    clock = clock or (lambda: datetime.now(UTC))
    config = config or FollowupConfig.from_settings(settings)
    gateway = ClientGateway(hcp) if isinstance(hcp, HcpClient) else hcp
    sender = sender if sender is not None else sender_from_settings(settings)
    optouts = OptOuts(store, clock=clock)
    threads = SmsThreads(store)
    followups = Followups(store, gateway, threads, optouts, config) if gateway else None
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
    SmsInbound(
        store,
        threads,
        optouts,
        agent=agent,
        replies=Replies(followups) if followups else None,
        thread_window=config.thread_window,
        help_text=lambda: help_text(config.business_name, config.office_number),
    ).register(dispatcher)
    if isinstance(hcp, HcpClient):
        HcpWriteReplayer(store, hcp).register(dispatcher)
    if followups is not None:
        HcpEvents(store, Reactions(followups)).register(dispatcher)
        Reminders(followups).register(dispatcher)
    else:
        log.info("hcp follow-ups off: no HCP client")
    scheduler = FollowupScheduler(
        lambda: dispatcher.run_once(clock()), interval=config.poll_interval.total_seconds()
    )
    return MessagingRuntime(
        store=store,
        config=config,
        clock=clock,
        dispatcher=dispatcher,
        scheduler=scheduler,
        sender=sender,
        optouts=optouts,
        threads=threads,
        followups=followups,
    )


def messaging_runtime(
    settings: Settings, services: Services, *, clock: Clock | None = None
) -> MessagingRuntime:
    """The runtime over the app's services (store, HCP client, dialogue engine)."""
    engine = getattr(services, "engine", None)
    return build_runtime(
        settings,
        store=services.store,
        hcp=getattr(services, "hcp", None),
        agent=EngineSmsAgent(engine, services.store) if engine is not None else None,
        clock=clock,
    )


def start_messaging(
    settings: Settings, services: Services, *, run_scheduler: bool
) -> MessagingRuntime:
    """Build the runtime for the app; start its scheduler when asked (inside the lifespan).

    The app runs the scheduler only with services it built itself: tests that inject
    services drive the outbox by hand (`runtime.run_once()`).
    """
    runtime = messaging_runtime(settings, services)
    if run_scheduler:
        runtime.scheduler.start()
    return runtime

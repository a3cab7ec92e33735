"""The `HcpEvent` outbox handler: a verified, stored HCP webhook turned into reactions."""

from __future__ import annotations

import logging
from datetime import datetime

import hcp
from voice_agent.followups.reactions import Reactions
from voice_agent.messaging.dispatcher import GiveUp, OutboxDispatcher, RetryLater
from voice_agent.outbox import HcpEvent
from voice_agent.storage.base import OutboxItem, Store

log = logging.getLogger(__name__)

PROVIDER = "hcp"


class HcpEvents:
    """Processes stored HCP webhook events asynchronously, once each."""

    def __init__(self, store: Store, reactions: Reactions) -> None:
        self._store = store
        self._reactions = reactions

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Handle `HcpEvent` jobs on `dispatcher`."""
        dispatcher.register(HcpEvent, self.handle)

    async def handle(self, job: HcpEvent, item: OutboxItem, now: datetime) -> None:
        """React to one event; HCP hiccups retry, a vanished record ends it."""
        event_id, event = job.event_id, job.event
        if not event_id:
            raise GiveUp("hcp_event job needs an event_id")
        try:
            outcome = await self._reactions.on_event(event, now)
        except hcp.HcpNotFoundError:
            await self._store.mark_webhook_processed(PROVIDER, event_id, "record not found")
            return
        except hcp.HcpError as exc:
            if exc.retryable:
                raise RetryLater(f"HCP unavailable: {type(exc).__name__}") from None
            await self._store.mark_webhook_processed(PROVIDER, event_id, str(exc)[:500])
            raise GiveUp(f"HCP refused: {type(exc).__name__}") from None
        log.info("hcp event %s: %s", event.get("event"), outcome)
        await self._store.mark_webhook_processed(PROVIDER, event_id)

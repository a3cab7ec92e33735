"""Outbound HCP-shaped webhooks: signed, sent in the background, retried, never fatal."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

logger = logging.getLogger(__name__)

Sender = Callable[[str, bytes, dict[str, str]], Awaitable[int]]
"""Deliver one webhook: (url, raw body, headers) -> HTTP status code."""

MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.5


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HCP's `Api-Signature`: hex HMAC-SHA256 of "<timestamp>." + raw body, keyed by the secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def httpx_sender(url: str, body: bytes, headers: dict[str, str]) -> int:
    """Default sender: one POST with httpx."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(url, content=body, headers=headers)
        return response.status_code


class WebhookDispatcher:
    """Queue events and POST them to `url` in background tasks.

    Args:
        url: Where to deliver; None disables delivery (events are still recorded).
        secret: Signing secret; without one the signature headers are omitted.
        company_id: The `company_id` put in every envelope.
        clock: Source of `event_occurred_at` and `Api-Timestamp`.
        sender: Transport for one delivery (tests pass a recorder).
        retry_delay: Seconds between attempts.
    """

    def __init__(
        self,
        *,
        url: str | None,
        secret: str | None,
        company_id: Callable[[], str],
        clock: Callable[[], datetime],
        sender: Sender | None = None,
        retry_delay: float = RETRY_DELAY_SECONDS,
    ) -> None:
        self.url = url
        self.secret = secret
        self._company_id = company_id
        self._clock = clock
        self._sender = sender or httpx_sender
        self.retry_delay = retry_delay
        self._tasks: set[asyncio.Task[None]] = set()
        self.events: list[dict[str, Any]] = []

    def emit(self, event: str, key: str, obj: dict[str, Any]) -> None:
        """Record `event` with the full object under `key` and deliver it in the background."""
        envelope = {
            "event": event,
            "event_occurred_at": self._clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "company_id": self._company_id(),
            key: obj,
        }
        self.events.append(envelope)
        if self.url is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(self.url, envelope))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, envelope: dict[str, Any]) -> None:
        body = json.dumps(envelope, separators=(",", ":")).encode()
        timestamp = str(int(self._clock().timestamp()))
        headers = {"Content-Type": "application/json", "Api-Timestamp": timestamp}
        if self.secret:
            headers["Api-Signature"] = sign(self.secret, timestamp, body)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                status = await self._sender(url, body, headers)
            except Exception as exc:  # noqa: BLE001 - a failed delivery must never escape
                logger.warning("webhook %s attempt %d failed: %s", envelope["event"], attempt, exc)
            else:
                if 200 <= status < 300:
                    return
                logger.warning("webhook %s attempt %d got %d", envelope["event"], attempt, status)
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(self.retry_delay * attempt)
        logger.error("webhook %s dropped after %d attempts", envelope["event"], MAX_ATTEMPTS)

    async def drain(self) -> None:
        """Wait until every queued delivery has finished (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

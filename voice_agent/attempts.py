"""A failed-attempt limiter kept in the store, so every worker and every call shares it.

Used for dashboard logins (per client address) and caller identity checks (per caller
number). Keys are stored as SHA-256 digests, never the address or number itself.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from voice_agent.storage.base import Store


def attempt_key(value: str) -> str:
    """The stored form of a client address or caller number: a SHA-256, never the value."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class AttemptLimiter:
    """At most `max_failures` failed attempts per key in any `window_seconds`."""

    scope: str
    max_failures: int
    window_seconds: float
    clock: Callable[[], float] = time.time

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def retry_after(self, store: Store, who: str) -> int:
        """Seconds until `who` may try again, or 0 when it may try now."""
        now = self._now()
        window = timedelta(seconds=self.window_seconds)
        recent = await store.list_attempts(self.scope, attempt_key(who), now - window)
        if len(recent) < self.max_failures:
            return 0
        oldest = recent[-self.max_failures]
        return max(1, math.ceil((oldest + window - now).total_seconds()))

    async def failed(self, store: Store, who: str) -> None:
        """Record a failed attempt (this scope's attempts older than the window are pruned)."""
        now = self._now()
        keep = now - timedelta(seconds=self.window_seconds)
        await store.add_attempt(self.scope, attempt_key(who), now, keep_after=keep)

    async def succeeded(self, store: Store, who: str) -> None:
        """Forget `who`'s failures."""
        await store.clear_attempts(self.scope, attempt_key(who))

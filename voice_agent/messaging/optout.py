"""Opt-out records: who asked us to stop texting, checked before every send.

There is no opt-out table in the storage contract yet, so each number is kept as a settings
record under ``optout:<E.164>`` (see `OPTOUT_PREFIX`); the lead can move it to a table
without changing this interface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from voice_agent.phones import mask
from voice_agent.storage.base import Store

log = logging.getLogger(__name__)

OPTOUT_PREFIX = "optout:"


class OptOuts:
    """Opt-out registry over the store's settings records."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] | None = None) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))

    async def is_opted_out(self, number: str) -> bool:
        """Whether `number` (E.164) has opted out and not opted back in."""
        record = await self._store.get_setting(OPTOUT_PREFIX + number)
        return isinstance(record, dict) and bool(record.get("opted_out"))

    async def opt_out(self, number: str, *, source: str) -> bool:
        """Record an opt-out; returns False if the number was already opted out."""
        if await self.is_opted_out(number):
            return False
        await self._store.set_setting(OPTOUT_PREFIX + number, self._record(True, source))
        log.info("sms opt-out recorded for %s (%s)", mask(number), source)
        return True

    async def opt_in(self, number: str, *, source: str) -> bool:
        """Record an opt-in (START); returns False if the number was not opted out."""
        if not await self.is_opted_out(number):
            return False
        await self._store.set_setting(OPTOUT_PREFIX + number, self._record(False, source))
        log.info("sms opt-in recorded for %s (%s)", mask(number), source)
        return True

    def _record(self, opted_out: bool, source: str) -> dict[str, Any]:
        return {"opted_out": opted_out, "source": source, "at": self._clock().isoformat()}

"""Opt-out records: who asked us to stop texting, checked before every send."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from voice_agent.phones import mask
from voice_agent.storage.base import OptOut, OptOutRecords

log = logging.getLogger(__name__)


class OptOuts:
    """Opt-out registry over the store's opt-out records."""

    def __init__(
        self, store: OptOutRecords, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))

    async def is_opted_out(self, number: str) -> bool:
        """Whether `number` (E.164) has opted out and not opted back in."""
        record = await self._store.get_opt_out(number)
        return record is not None and record.opted_out

    async def opt_out(self, number: str, *, source: str) -> bool:
        """Record an opt-out; returns False if the number was already opted out."""
        if await self.is_opted_out(number):
            return False
        await self._store.put_opt_out(OptOut(number, True, source, self._clock()))
        log.info("sms opt-out recorded for %s (%s)", mask(number), source)
        return True

    async def opt_in(self, number: str, *, source: str) -> bool:
        """Record an opt-in (START); returns False if the number was not opted out."""
        if not await self.is_opted_out(number):
            return False
        await self._store.put_opt_out(OptOut(number, False, source, self._clock()))
        log.info("sms opt-in recorded for %s (%s)", mask(number), source)
        return True

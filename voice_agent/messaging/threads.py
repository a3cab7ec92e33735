"""SMS threads: one conversation per customer number within a time window.

Per number the store keeps which conversation the thread is in, when it last moved, and
the follow-up context a reply refers to (the estimate we texted, the windows we offered).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from voice_agent.storage.base import JSON, SmsThread, SmsThreadRecords

__all__ = ["SmsThread", "SmsThreads"]


class SmsThreads:
    """Thread records over the store's SMS threads."""

    def __init__(self, store: SmsThreadRecords) -> None:
        self._store = store

    async def get(self, number: str) -> SmsThread:
        """The thread with `number` (empty if we never texted)."""
        return await self._store.get_sms_thread(number)

    async def touch(
        self, number: str, *, at: datetime, conversation_id: str | None = None, inbound: bool
    ) -> None:
        """Record activity (and the thread's conversation) at `at`."""
        values: dict[str, Any] = {"last_at": at}
        if conversation_id:
            values["conversation_id"] = conversation_id
        values["last_inbound_at" if inbound else "texted_at"] = at
        await self._store.update_sms_thread(number, **values)

    async def set_context(self, number: str, context: JSON, *, at: datetime) -> None:
        """Remember what the next reply from `number` refers to."""
        await self._store.update_sms_thread(
            number, context=context, context_at=at, last_at=at, texted_at=at
        )

    async def clear_context(self, number: str) -> None:
        """Forget the pending follow-up context."""
        await self._store.update_sms_thread(number, context={}, context_at=None)

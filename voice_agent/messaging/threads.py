"""SMS threads: one conversation per customer number within a time window.

Per number the store keeps which conversation the thread is in, when it last moved, and
the follow-up context a reply refers to (the estimate we texted, the windows we offered).
Kept as a settings record under ``sms-thread:<E.164>`` until the storage contract has a
table for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from voice_agent.storage.base import JSON, Store

THREAD_PREFIX = "sms-thread:"


@dataclass(frozen=True)
class SmsThread:
    """The current thread with one number."""

    number: str
    conversation_id: str | None = None
    last_at: datetime | None = None
    last_inbound_at: datetime | None = None
    texted_at: datetime | None = None  # when we last queued a text to this number
    context: JSON = field(default_factory=dict)
    context_at: datetime | None = None

    def is_open(self, now: datetime, window: timedelta) -> bool:
        """Whether the thread's conversation is recent enough to continue."""
        return (
            self.conversation_id is not None
            and self.last_at is not None
            and now - self.last_at <= window
        )


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


class SmsThreads:
    """Thread records over the store's settings."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, number: str) -> SmsThread:
        """The thread with `number` (empty if we never texted)."""
        raw = await self._store.get_setting(THREAD_PREFIX + number)
        if not isinstance(raw, dict):
            return SmsThread(number)
        return SmsThread(
            number=number,
            conversation_id=raw.get("conversation_id"),
            last_at=_time(raw.get("last_at")),
            last_inbound_at=_time(raw.get("last_inbound_at")),
            texted_at=_time(raw.get("texted_at")),
            context=dict(raw.get("context") or {}),
            context_at=_time(raw.get("context_at")),
        )

    async def _update(self, number: str, **values: Any) -> None:
        raw = await self._store.get_setting(THREAD_PREFIX + number)
        record = dict(raw) if isinstance(raw, dict) else {}
        record.update(
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
        )
        await self._store.set_setting(THREAD_PREFIX + number, record)

    async def touch(
        self, number: str, *, at: datetime, conversation_id: str | None = None, inbound: bool
    ) -> None:
        """Record activity (and the thread's conversation) at `at`."""
        values: dict[str, Any] = {"last_at": at}
        if conversation_id:
            values["conversation_id"] = conversation_id
        values["last_inbound_at" if inbound else "texted_at"] = at
        await self._update(number, **values)

    async def set_context(self, number: str, context: JSON, *, at: datetime) -> None:
        """Remember what the next reply from `number` refers to."""
        await self._update(number, context=context, context_at=at, last_at=at, texted_at=at)

    async def clear_context(self, number: str) -> None:
        """Forget the pending follow-up context."""
        await self._update(number, context={}, context_at=None)

"""Reference data (job types, employees, price list, company) shared by all conversations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
REFERENCE_TTL_SECONDS = 300.0


class ReferenceCache:
    """A TTL cache with one loader at a time per key."""

    def __init__(self, ttl: float = REFERENCE_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value for `key`, loading it when missing or stale."""
        hit = self._items.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]  # type: ignore[no-any-return]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._items.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl:
                return hit[1]  # type: ignore[no-any-return]
            value = await load()
            self._items[key] = (time.monotonic(), value)
            return value

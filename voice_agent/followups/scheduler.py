"""The in-process follow-up runner: drains the outbox now and then, and at once when woken.

Safe with several workers or instances: each runs its own scheduler, and the store's
`claim_due` hands each due item to exactly one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class FollowupScheduler:
    """Calls `run_once` every `interval` seconds, or sooner after `wake()`."""

    def __init__(self, run_once: Callable[[], Awaitable[Any]], *, interval: float) -> None:
        self._run_once = run_once
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0

    @property
    def running(self) -> bool:
        """Whether the background loop is running."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Run as soon as possible (e.g. a webhook just queued work)."""
        self._wake.set()

    async def tick(self) -> None:
        """One run; failures are logged, never fatal to the loop."""
        self.ticks += 1
        try:
            await self._run_once()
        except Exception:
            log.exception("follow-up run failed; will try again")

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
        self._wake.clear()

    async def run_forever(self) -> None:
        """Tick, then wait for the interval or a wake-up; until cancelled."""
        while True:
            await self.tick()
            await self._wait()

    def start(self) -> None:
        """Start the loop as a background task."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run_forever())

    async def stop(self) -> None:
        """Cancel the loop and wait for it to finish."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

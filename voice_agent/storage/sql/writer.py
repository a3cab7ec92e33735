"""`GroupWriter`: this process's writes to a SQLite file, on one thread, committed in groups.

SQLite takes one writer at a time, so the store's writes already ran one after another on
a single thread. Under load they queued there, each paying its own `BEGIN IMMEDIATE` and
`COMMIT` (about half of a small write's cost). Now the thread takes every write waiting when
it becomes free and runs them, in arrival order, in one transaction: the same serial order,
one BEGIN and one COMMIT per group. If any write of a group fails (or the commit does), the
group is rolled back and each write runs again in its own transaction, so a failure is
reported to its own caller only and the others still land.

A write that has started finishes even if its caller stops waiting; one still queued when
its caller is cancelled is dropped. `close` lets every queued write finish first.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")

MAX_GROUP = 64
"""Writes committed together at most (bounds how long another process waits for the lock)."""

_Job = tuple[Callable[[Connection], Any], "Future[Any]"]


class GroupWriter:
    """Runs write functions of a `Connection` on one thread, grouping queued ones per commit.

    Args:
        engine: A synchronous engine whose `begin()` opens a write transaction.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.groups = 0  # transactions committed (for tests and benchmarks)

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction (perhaps shared with other writes); its result.

        Raises:
            Exception: Whatever `work` or the commit raised, for this write alone.
        """
        future: Future[T] = Future()
        self._start()
        self._jobs.put((work, future))
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Finish the queued writes and stop the thread (blocking: call it from a thread)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join()

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._loop, name="sqlite-writer", daemon=True
                    )
                    self._thread.start()

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                group.append(job)
            self._commit([job for job in group if job[1].set_running_or_notify_cancel()])

    def _commit(self, group: list[_Job]) -> None:
        if not group:  # every caller of the group gave up while it was queued
            return
        if len(group) == 1:
            self._alone(*group[0])
            return
        try:
            with self._engine.begin() as conn:
                results = [work(conn) for work, _ in group]
        except Exception:
            for job in group:  # rolled back: each on its own, so only the failing one fails
                self._alone(*job)
            return
        self.groups += 1
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)

    def _alone(self, work: Callable[[Connection], Any], future: Future[Any]) -> None:
        try:
            with self._engine.begin() as conn:
                result = work(conn)
        except BaseException as exc:  # the caller gets it, whatever it is
            future.set_exception(exc)
            return
        self.groups += 1
        future.set_result(result)

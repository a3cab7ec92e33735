"""`GroupWriter`: this process's writes to a SQLite file that found it locked, on one thread,
committed in groups.

A write that finds the database free runs at once where it was asked for (`inline`); one
that finds it locked waits here, on one thread, not on the event loop. Under load they queue
here; the thread takes every write waiting when it becomes free and runs them, in arrival
order, in one transaction on its own connection: one BEGIN and one COMMIT per group, and
one wake-up of the event loop for all their results. If any write of a group fails (or the
commit does), the group is rolled back and each write runs again in its own transaction, so
a failure is reported to its own caller only and the others still land.

A write that has started finishes even if its caller stops waiting; one still queued when
its caller is cancelled is dropped. `close` lets every queued write finish first.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")

MAX_GROUP = 64
"""Writes committed together at most (bounds how long another process waits for the lock)."""

_Future = asyncio.Future[Any]
_Job = tuple[Callable[[Connection], Any], _Future]
_Outcome = tuple[_Future, Any, BaseException | None]  # a write's future, result, exception


class GroupWriter:
    """Runs write functions of a `Connection` on one thread, grouping queued ones per commit.

    Args:
        engine: A synchronous engine whose `begin()` opens a write transaction.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None  # the writer thread's own, kept between groups
        self._lock = threading.Lock()
        self.groups = 0  # transactions committed (for tests and benchmarks)

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction (perhaps shared with other writes); its result.

        Raises:
            Exception: Whatever `work` or the commit raised, for this write alone.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._start()
        self._jobs.put((work, future))
        return await future

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
        try:
            self._serve()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _serve(self) -> None:
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
            self._commit([job for job in group if not job[1].cancelled()])

    def _commit(self, group: list[_Job]) -> None:
        if not group:  # every caller of the group gave up while it was queued
            return
        if len(group) > 1:
            try:
                results = self._transaction([work for work, _ in group])
            except Exception:
                pass  # rolled back: each on its own below, so only the failing one fails
            else:
                self.groups += 1
                _settle(
                    [
                        (future, result, None)
                        for (_, future), result in zip(group, results, strict=True)
                    ]
                )
                return
        _settle([self._alone(work, future) for work, future in group])

    def _alone(self, work: Callable[[Connection], Any], future: _Future) -> _Outcome:
        try:
            (result,) = self._transaction([work])
        except BaseException as exc:  # the caller gets it, whatever it is
            return future, None, exc
        self.groups += 1
        return future, result, None

    def _transaction(self, works: list[Callable[[Connection], Any]]) -> list[Any]:
        """Run `works` in one transaction on the thread's connection (opened once: checking
        one out of the pool per group cost more than a small write)."""
        if self._conn is None:
            self._conn = self._engine.connect()
        conn = self._conn
        try:
            with conn.begin():
                return [work(conn) for work in works]
        except BaseException:
            if conn.invalidated or conn.closed:  # a broken connection: a new one next time
                conn.close()
                self._conn = None
            raise


def _settle(outcomes: list[_Outcome]) -> None:
    """Hand the group's results to their event loops: one wake-up per loop, not per write."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
    for loop, mine in by_loop.items():
        try:
            loop.call_soon_threadsafe(_deliver, mine)
        except RuntimeError:  # that loop is closed: nobody is waiting any more
            pass


def _deliver(outcomes: list[_Outcome]) -> None:
    for future, result, exc in outcomes:
        if future.done():  # its caller was cancelled while the write ran
            continue
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)

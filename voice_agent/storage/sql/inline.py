"""`InlineSqlite`: a SQLite file's short reads and writes run on the calling thread when
the database is free, without a hand-off to the store's threads.

Handing a one-row write to the writer thread costs more CPU than SQLite's own work (two
thread switches and a wake-up of the event loop, about 0.1 ms against a few hundredths), so
each read or write first tries the calling thread's own connection, whose lock wait is zero:
when the database is free it runs at once; when the writer thread or another process holds
the write lock, BEGIN IMMEDIATE fails at once with SQLITE_BUSY before anything ran, and the
write goes to the writer thread's queue as before (so under load writes still commit in
groups). A read that meets SQLITE_BUSY (WAL recovery, rare) is retried on the reader thread.

These connections never checkpoint the WAL: a checkpoint syncs the file to disk, which must
not happen on the event loop. One write in `CHECKPOINT_EVERY` takes the writer thread
instead, whose commits checkpoint when the WAL has grown (SQLite's automatic checkpoint).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Final, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from voice_agent.storage.engine import READ_ONLY

T = TypeVar("T")

CHECKPOINT_EVERY = 50
"""One write in this many goes through the writer thread, whose commits checkpoint the WAL
(a call's writes add about 10 pages each: measured by hand, the WAL file stayed at 14 MB
with one in 200; one in 50 keeps it near SQLite's own 1,000-page threshold)."""

BUSY: Final = object()
"""Returned instead of a result when the database was locked and nothing ran."""


class InlineSqlite:
    """Per-thread connections to a SQLite file that never wait for a lock.

    Args:
        engine: The synchronous engine of the file (see `sqlite_writer_engine`).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._all: list[Connection] = []
        self._lock = threading.Lock()
        self._writes = 0

    def write(self, work: Callable[[Connection], T]) -> T | object:
        """Run `work` in a write transaction here and now; `BUSY` if the database is locked
        (or it is the writer thread's turn to checkpoint) and nothing ran.

        Raises:
            Exception: Whatever `work` or the commit raised (the transaction rolled back).
        """
        self._writes += 1
        if self._writes % CHECKPOINT_EVERY == 0:
            return BUSY
        conn = self._connection("writer")
        try:
            transaction = conn.begin()  # BEGIN IMMEDIATE: fails at once when locked
        except OperationalError as exc:
            if is_busy(exc):
                return BUSY
            raise
        with transaction:
            return work(conn)

    def read(self, work: Callable[[Connection], T]) -> T | object:
        """Run `work` in a read transaction here and now; `BUSY` if SQLite was busy."""
        conn = self._connection("reader")
        try:
            with conn.begin():
                return work(conn)
        except OperationalError as exc:
            if is_busy(exc):
                return BUSY
            raise

    def close(self) -> None:
        """Close every connection this made, on any thread (`check_same_thread` is off)."""
        with self._lock:
            connections, self._all = self._all, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def _connection(self, role: str) -> Connection:
        conn: Connection | None = getattr(self._local, role, None)
        if conn is not None and not (conn.invalidated or conn.closed):
            return conn
        conn = self._engine.connect()
        conn.detach()  # its lock wait and checkpoint settings never reach the pool's others
        driver = conn.connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.execute("PRAGMA busy_timeout=0")
        driver.execute("PRAGMA wal_autocheckpoint=0")
        if role == "reader":
            conn.execution_options(**{READ_ONLY: True})
        setattr(self._local, role, conn)
        with self._lock:
            self._all.append(conn)
        return conn


def is_busy(exc: OperationalError) -> bool:
    """True when SQLite reported SQLITE_BUSY (the database is locked)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


__all__ = ["BUSY", "CHECKPOINT_EVERY", "InlineSqlite", "is_busy"]

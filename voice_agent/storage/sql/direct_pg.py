"""`DirectPg`: PostgreSQL's one-statement writes and point reads straight on asyncpg.

A call's hot statements are single statements, so on PostgreSQL each is its own transaction
in autocommit: record a webhook, a turn, a tool call, a conversation or an outbox job; read
the conversation; and `finish_turn`, one statement of data-modifying CTEs on PostgreSQL.
Run through SQLAlchemy's async engine, each also paid a pool checkout with its events, an
execution context, a greenlet hop and result wrapping: measured through the store, 0.57 ms
of CPU per write (0.63 with BEGIN and COMMIT) against 0.21 ms this way, 0.40 against
0.17 ms per read, and 0.74 against 0.16 ms for `finish_turn` (five round trips before).
Here a prepared statement (see `prepared`) runs on the asyncpg connection of a pooled
SQLAlchemy connection, so the pool, its checkout check (`engine._replace_closed`) and the
connection's codecs are SQLAlchemy's; the SQL text and the value conversions both ways are
too. Anything not prepared takes SQLAlchemy's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import Executable

from voice_agent.errors import StorageError
from voice_agent.storage.sql.prepared import plan_for

NOT_PREPARED: Final = object()
"""Returned when the statement must go through SQLAlchemy (nothing ran)."""


class DirectPg:
    """Prepared statements on the asyncpg connections of `engine`'s pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect

    async def changed(self, stmt: Executable, params: Mapping[str, Any]) -> bool | object:
        """Run a one-row INSERT/UPDATE/DELETE: True if it changed a row, or `NOT_PREPARED`.

        Raises:
            StorageError: The database refused it or could not be reached.
        """
        status = await self._run("execute", stmt, params)
        if status is NOT_PREPARED:
            return status
        return int(str(status).rsplit(" ", 1)[-1]) > 0  # "INSERT 0 1", "UPDATE 0"

    async def row(
        self, stmt: Executable, params: Mapping[str, Any]
    ) -> dict[str, Any] | None | object:
        """Run a query: its first row by column key, None, or `NOT_PREPARED`.

        Raises:
            StorageError: The database refused it or could not be reached.
        """
        found: dict[str, Any] | None | object = await self._run("fetchrow", stmt, params)
        return found

    async def _run(self, method: str, stmt: Executable, params: Mapping[str, Any]) -> Any:
        plan = plan_for(stmt, self._dialect, params)
        if plan is None:
            return NOT_PREPARED
        pooled = await self._engine.raw_connection()  # SQLAlchemy's errors: see `storage_errors`
        driver: Any = pooled.driver_connection  # an asyncpg.Connection
        try:
            answer = await getattr(driver, method)(plan.sql, *plan.values(params))
        except BaseException as exc:
            if not isinstance(exc, asyncpg.PostgresError) or driver.is_closed():
                pooled.invalidate()  # broken, or cancelled mid-statement: never pooled again
            if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
                raise StorageError(f"database error: IntegrityError: {exc}") from exc
            if isinstance(exc, asyncpg.PostgresError):
                raise StorageError(f"database error: {type(exc).__name__}: {exc}") from exc
            if isinstance(exc, (OSError, asyncpg.InterfaceError)):
                raise StorageError(f"database unreachable: {exc}") from exc
            raise
        finally:
            pooled.close()
        if method == "fetchrow":
            return None if answer is None else plan.row(tuple(answer))
        return answer


__all__ = ["NOT_PREPARED", "DirectPg"]

"""Prepared statements: a caller turn's reads and writes without SQLAlchemy's per-execution
work.

A statement built once by a `@prepared` builder is compiled once per driver and set of
parameter names. On a SQLite file's connections (the `pysqlite` driver) it then runs
straight on the driver's connection, inside the transaction SQLAlchemy opened (on asyncpg,
see `direct_pg`):
the SQL text and the value conversions both ways (JSON, datetimes) are SQLAlchemy's own, only
the per-execution machinery is skipped, which costs several times SQLite's work for a one-row
read or write. Any other driver, statement or shape of parameters takes `Connection.execute`.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

S = TypeVar("S", bound=Executable)

_statements: dict[int, Executable] = {}  # the prepared statements, by id (kept alive here)
_plans: dict[tuple[int, str, str, frozenset[str]], _Plan | None] = {}
_lock = threading.Lock()  # plans are made on the writer and reader threads


@dataclass(frozen=True)
class _Plan:
    """A compiled statement: its SQL and, per `?`, the parameter name or constant and the
    conversion SQLAlchemy would apply."""

    sql: str
    slots: tuple[tuple[str | None, Any, Callable[[Any], Any] | None], ...]
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...] = ()
    """A query's result columns: each one's key and the conversion of its value."""

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, constant, convert in self.slots:
            value = constant if name is None else params[name]
            out.append(value if convert is None else convert(value))
        return out

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        """A result row's values by column key, converted as SQLAlchemy would."""
        return {
            key: value if convert is None or value is None else convert(value)
            for (key, convert), value in zip(self.columns, values, strict=True)
        }


def prepared(build: Callable[..., S]) -> Callable[..., S]:
    """Cache a statement builder (like `functools.cache`) and mark what it builds prepared."""

    @functools.cache
    @functools.wraps(build)
    def cached(*args: Any) -> S:
        stmt = build(*args)
        _statements[id(stmt)] = stmt
        return stmt

    return cached


def changed(conn: Connection, stmt: Executable, params: Mapping[str, Any] | None = None) -> bool:
    """Run a one-row INSERT/UPDATE/DELETE; True if it changed a row (no RETURNING)."""
    direct = _direct(conn, stmt, params)
    if direct is not None:
        return direct[1].rowcount > 0
    return conn.execute(stmt, params).rowcount > 0


def returned(conn: Connection, stmt: Executable, params: Mapping[str, Any]) -> Any:
    """Run a statement with a one-column RETURNING (or a one-column query): the first row's
    value, or None when no row came back."""
    direct = _direct(conn, stmt, params)
    if direct is None:
        return conn.execute(stmt, params).scalar_one_or_none()
    rows = direct[1].fetchall()
    if len(rows) > 1:
        raise ValueError(f"expected at most one row, got {len(rows)}")
    return rows[0][0] if rows else None


def row(conn: Connection, stmt: Executable, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """Run a query: its first row as a dict keyed by column, or None when none came back."""
    direct = _direct(conn, stmt, params)
    if direct is None:
        found = conn.execute(stmt, params).mappings().first()
        return None if found is None else dict(found)
    plan, cursor = direct
    values = cursor.fetchone()
    cursor.close()
    return None if values is None else plan.row(values)


def _direct(
    conn: Connection, stmt: Executable, params: Mapping[str, Any] | None
) -> tuple[_Plan, sqlite3.Cursor] | None:
    """The statement's plan and its run on the driver's connection, or None when it must go
    through SQLAlchemy (not prepared, not `pysqlite`, or a shape the plan does not cover)."""
    if params is None or conn.dialect.driver != "pysqlite":
        return None
    plan = plan_for(stmt, conn.dialect, params)
    if plan is None:
        return None
    driver = conn.connection.dbapi_connection
    assert isinstance(driver, sqlite3.Connection)
    values = plan.values(params)
    try:
        return plan, driver.execute(plan.sql, values)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(
            plan.sql, values, exc, sqlite3.Error, hide_parameters=True
        ) from exc


def plan_for(stmt: Executable, dialect: Dialect, params: Mapping[str, Any]) -> _Plan | None:
    """The compiled plan of a prepared statement with these parameter names, or None when
    SQLAlchemy must run it (not prepared, or a shape the plan does not cover)."""
    if id(stmt) not in _statements:
        return None
    key = (id(stmt), dialect.name, dialect.driver, frozenset(params))
    try:
        return _plans[key]
    except KeyError:
        with _lock:
            return _plans.setdefault(key, _compile(stmt, dialect, key[3]))


def _compile(stmt: Executable, dialect: Dialect, names: frozenset[str]) -> _Plan | None:
    """The plan of `stmt` with parameters `names`, or None if SQLAlchemy must run it (it
    would compute defaults, expand lists, or rename parameters)."""
    assert isinstance(stmt, ClauseElement)
    compiled = stmt.compile(dialect=dialect, column_keys=sorted(names))
    assert isinstance(compiled, SQLCompiler)
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.escaped_bind_names
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.positiontup is None
    ):
        return None
    slots: list[tuple[str | None, Any, Callable[[Any], Any] | None]] = []
    order: Sequence[str] = compiled.positiontup
    for name in order:
        bind = compiled.binds[name]
        if bind.expanding or bind.callable is not None:
            return None
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in names:
            slots.append((name, None, convert))
        elif bind.value is not None or not bind.required:
            slots.append((None, bind.value, convert))  # a constant of the statement
        else:
            return None
    columns = tuple(
        (entry.keyname, entry.type.dialect_impl(dialect).result_processor(dialect, None))
        for entry in compiled._result_columns
    )
    return _Plan(compiled.string, tuple(slots), columns)

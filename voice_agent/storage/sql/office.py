"""Credentials, setting overrides and failed attempts on SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, select

from voice_agent.storage.base import JSON, CredentialRecord
from voice_agent.storage.sql.core import (
    SqlCore,
    attempts_table,
    credentials,
    settings_table,
    utc_now,
)


class SqlCredentials(SqlCore):
    """The `Credentials` aggregate (ciphertext only)."""

    async def put_credential(self, record: CredentialRecord) -> None:
        await self.put_credentials([record])

    async def put_credentials(self, records: Sequence[CredentialRecord]) -> None:
        """Insert or replace several credentials in one transaction (all or none)."""
        stmts = [self._upsert(credentials, _credential_values(r), ["id"]) for r in records]

        def work(conn: Connection) -> None:
            for stmt in stmts:
                conn.execute(stmt)

        await self._write(work)

    async def get_credential(self, service: str) -> CredentialRecord | None:
        query = select(credentials).where(credentials.c.service == service)
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _credential(row)

    async def list_credentials(self) -> list[CredentialRecord]:
        query = select(credentials).order_by(credentials.c.service)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [_credential(r) for r in rows]

    async def delete_credential(self, credential_id: str) -> bool:
        stmt = (
            delete(credentials).where(credentials.c.id == credential_id).returning(credentials.c.id)
        )
        return await self._write(lambda conn: conn.execute(stmt).first() is not None)

    async def touch_credential(self, credential_id: str, used_at: datetime) -> None:
        await self._update_one(credentials, credential_id, {"used_at": used_at}, "credential")


class SqlSettingOverrides(SqlCore):
    """The `SettingOverrides` aggregate."""

    async def get_setting(self, key: str) -> Any | None:
        query = select(settings_table.c.value).where(settings_table.c.key == key)
        async with self._tx(read_only=True) as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def set_setting(self, key: str, value: Any) -> None:
        stmt = self._upsert(
            settings_table, {"key": key, "value": value, "updated_at": utc_now()}, ["key"]
        )
        await self._write(lambda conn: conn.execute(stmt))

    async def all_settings(self) -> JSON:
        query = select(settings_table.c.key, settings_table.c.value)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query.order_by(settings_table.c.key))).all()
        return {r.key: r.value for r in rows}


class SqlAttempts(SqlCore):
    """The `Attempts` aggregate."""

    async def add_attempt(
        self, scope: str, key: str, at: datetime, *, keep_after: datetime
    ) -> None:
        table = attempts_table
        prune = delete(table).where(and_(table.c.scope == scope, table.c.at < keep_after))
        insert = table.insert().values(scope=scope, key=key, at=at)

        def work(conn: Connection) -> None:
            conn.execute(prune)
            conn.execute(insert)

        await self._write(work)

    async def list_attempts(self, scope: str, key: str, since: datetime) -> list[datetime]:
        table = attempts_table
        query = (
            select(table.c.at)
            .where(and_(table.c.scope == scope, table.c.key == key, table.c.at >= since))
            .order_by(table.c.at)
        )
        async with self._tx(read_only=True) as conn:
            return list((await conn.execute(query)).scalars())

    async def clear_attempts(self, scope: str, key: str) -> None:
        table = attempts_table
        stmt = delete(table).where(and_(table.c.scope == scope, table.c.key == key))
        await self._write(lambda conn: conn.execute(stmt))


def _credential(row: Row[Any]) -> CredentialRecord:
    values = row._asdict()
    values["allowed_domains"] = tuple(values["allowed_domains"])
    values["ciphertext"] = bytes(values["ciphertext"])
    values["nonce"] = bytes(values["nonce"])
    return CredentialRecord(**values)


def _credential_values(record: CredentialRecord) -> dict[str, Any]:
    values = dict(record.__dict__)
    values["allowed_domains"] = list(record.allowed_domains)
    return values

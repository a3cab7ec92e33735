"""Own-write marks, texted schedules and owner-digest marks on SQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Table, select

from voice_agent.storage.base import DigestMark
from voice_agent.storage.sql.core import SqlCore, digest_marks, own_writes, texted_schedules


class SqlOwnWrites(SqlCore):
    """The `OwnWrites` aggregate (own-write marks and texted visit times)."""

    async def mark_own_write(self, resource_id: str, at: datetime) -> None:
        await self._put_time(own_writes, resource_id, at)

    async def own_write_at(self, resource_id: str) -> datetime | None:
        return await self._get_time(own_writes, resource_id)

    async def remember_texted_schedule(self, job_id: str, start: datetime) -> None:
        await self._put_time(texted_schedules, job_id, start)

    async def texted_schedule(self, job_id: str) -> datetime | None:
        return await self._get_time(texted_schedules, job_id)

    # Both tables are (id, time): one helper each way.

    async def _put_time(self, table: Table, key: str, at: datetime) -> None:
        id_column, time_column = table.c
        stmt = self._upsert(table, {id_column.name: key, time_column.name: at}, [id_column.name])
        await self._write(lambda conn: conn.execute(stmt))

    async def _get_time(self, table: Table, key: str) -> datetime | None:
        id_column, time_column = table.c
        query = select(time_column).where(id_column == key)
        async with self._tx(read_only=True) as conn:
            return (await conn.execute(query)).scalar_one_or_none()


class SqlDigests(SqlCore):
    """The `Digests` aggregate."""

    async def get_digest_mark(self, kind: str, period_start: date) -> DigestMark | None:
        c = digest_marks.c
        query = select(digest_marks).where(c.kind == kind, c.period_start == period_start)
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        values = row._asdict()
        return DigestMark(**{**values, "queued": tuple(values["queued"])})

    async def put_digest_mark(self, mark: DigestMark) -> None:
        values = {**mark.__dict__, "queued": list(mark.queued)}
        stmt = self._upsert(digest_marks, values, ["kind", "period_start"])
        await self._write(lambda conn: conn.execute(stmt))

"""SMS opt-outs and SMS threads on SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from voice_agent.storage.base import SMS_THREAD_FIELDS, OptOut, SmsThread
from voice_agent.storage.sql.core import SqlCore, opt_outs, sms_threads


class SqlOptOuts(SqlCore):
    """The `OptOutRecords` aggregate."""

    async def get_opt_out(self, number: str) -> OptOut | None:
        query = select(opt_outs).where(opt_outs.c.number == number)
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else OptOut(**row._asdict())

    async def put_opt_out(self, record: OptOut) -> None:
        stmt = self._upsert(opt_outs, dict(record.__dict__), ["number"])
        await self._write(lambda conn: conn.execute(stmt))


class SqlSmsThreads(SqlCore):
    """The `SmsThreadRecords` aggregate."""

    async def get_sms_thread(self, number: str) -> SmsThread:
        query = select(sms_threads).where(sms_threads.c.number == number)
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        return SmsThread(number) if row is None else SmsThread(**row._asdict())

    async def update_sms_thread(self, number: str, **fields: Any) -> None:
        unknown = set(fields) - SMS_THREAD_FIELDS
        if unknown or not fields:
            raise ValueError(f"cannot update SMS thread fields {sorted(unknown)}")
        values = {"number": number, "context": {}, **fields}
        stmt = self._upsert(sms_threads, values, ["number"], only=fields)
        await self._write(lambda conn: conn.execute(stmt))

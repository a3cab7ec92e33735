"""Time-range queries for reports, and call recordings, on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, select, update

from voice_agent.storage.base import Conversation, HcpWrite, Message, OutboxItem, Recording
from voice_agent.storage.sql.core import (
    SqlCore,
    conversations,
    hcp_writes,
    messages,
    outbox,
    recordings,
)
from voice_agent.storage.sql.prepared import changed


class SqlReports(SqlCore):
    """The `Reports` queries (every range is [start, end))."""

    async def list_conversations_between(
        self, start: datetime, end: datetime
    ) -> list[Conversation]:
        rows = await self._rows_between(conversations, "started_at", start, end)
        return [Conversation(**r._asdict()) for r in rows]

    async def list_hcp_writes_between(self, start: datetime, end: datetime) -> list[HcpWrite]:
        rows = await self._rows_between(hcp_writes, "updated_at", start, end)
        return [HcpWrite(**r._asdict()) for r in rows]

    async def list_outbox_between(
        self, start: datetime, end: datetime, *, status: str | None = None
    ) -> list[OutboxItem]:
        where = () if status is None else (outbox.c.status == status,)
        rows = await self._rows_between(outbox, "next_attempt_at", start, end, *where)
        return [OutboxItem(**r._asdict()) for r in rows]

    async def list_messages_between(
        self, start: datetime, end: datetime, *, direction: Literal["in", "out"] | None = None
    ) -> list[Message]:
        where = () if direction is None else (messages.c.direction == direction,)
        rows = await self._rows_between(messages, "created_at", start, end, *where)
        return [Message(**r._asdict()) for r in rows]


class SqlRecordings(SqlCore):
    """The `Recordings` aggregate."""

    async def record_recording(self, recording: Recording) -> bool:
        values = {f: getattr(recording, f) for f in recordings.c.keys()}
        changes = {"status": recording.status, "duration_seconds": recording.duration_seconds}
        insert = self._insert_ignore(recordings, ["sid"])
        refresh = (
            update(recordings)
            .where(recordings.c.sid == recording.sid, recordings.c.status != "deleted")
            .values(changes)
        )

        def work(conn: Connection) -> bool:
            if changed(conn, insert, values):
                return True
            conn.execute(refresh)
            return False

        return await self._write(work)

    async def list_recordings(self, conversation_id: str) -> list[Recording]:
        query = (
            select(recordings)
            .where(recordings.c.conversation_id == conversation_id)
            .order_by(recordings.c.created_at, recordings.c.sid)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [Recording(**r._asdict()) for r in rows]

    async def get_recording(self, sid: str) -> Recording | None:
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(select(recordings).where(recordings.c.sid == sid))).first()
        return None if row is None else Recording(**row._asdict())

    async def recordings_before(self, cutoff: datetime, *, limit: int = 100) -> list[Recording]:
        query = (
            select(recordings)
            .where(recordings.c.created_at < cutoff, recordings.c.deleted_at.is_(None))
            .order_by(recordings.c.created_at, recordings.c.sid)
            .limit(limit)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [Recording(**r._asdict()) for r in rows]

    async def mark_recording_deleted(self, sid: str, at: datetime) -> None:
        stmt = (
            update(recordings)
            .where(recordings.c.sid == sid)
            .values(status="deleted", deleted_at=at, media_url="")
        )
        await self._write(lambda conn: changed(conn, stmt))

"""The HCP write journal and named leases on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Delete, Update, bindparam, delete, or_, select, update

from voice_agent.storage.base import JSON, HcpWrite
from voice_agent.storage.sql.core import (
    SqlCore,
    hcp_writes,
    leases,
    new_id,
    param,
    utc_now,
)
from voice_agent.storage.sql.prepared import changed, prepared


class SqlHcpWriteJournal(SqlCore):
    """The `HcpWriteJournal` aggregate."""

    async def begin_hcp_write(
        self,
        conversation_id: str | None,
        operation: str,
        idempotency_key: str,
        request: JSON,
        *,
        owner: str | None = None,
        lease_until: datetime | None = None,
    ) -> tuple[HcpWrite, bool]:
        now = utc_now()
        values: dict[str, Any] = {
            "id": new_id(),
            "conversation_id": conversation_id,
            "operation": operation,
            "idempotency_key": idempotency_key,
            "request": request,
            "status": "pending",
            "created_at": now,
            "updated_at": now,
            "owner": owner,
            "lease_until": lease_until,
        }
        row, created = await self._insert_or_get(hcp_writes, values, ["idempotency_key"])
        return HcpWrite(**row), created

    async def claim_hcp_write(
        self, write_id: str, owner: str, *, now: datetime, lease_until: datetime
    ) -> HcpWrite | None:
        c = hcp_writes.c
        free = or_(c.lease_until.is_(None), c.lease_until <= now, c.owner == owner)
        stmt = (
            update(hcp_writes)
            .where(c.id == write_id, c.status.in_(("pending", "queued", "failed")), free)
            .values(status="pending", owner=owner, lease_until=lease_until, updated_at=utc_now())
            .returning(*hcp_writes.c)
        )
        row = await self._write(lambda conn: conn.execute(stmt).first())
        return HcpWrite(**row._asdict()) if row is not None else None

    async def get_hcp_write(self, idempotency_key: str) -> HcpWrite | None:
        query = select(hcp_writes).where(hcp_writes.c.idempotency_key == idempotency_key)
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        return HcpWrite(**row._asdict()) if row is not None else None

    async def find_hcp_write(self, operation: str, hcp_id: str) -> HcpWrite | None:
        c = hcp_writes.c
        query = select(hcp_writes).where(
            c.operation == operation, c.hcp_id == hcp_id, c.status == "done"
        )
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query.limit(1))).first()
        return HcpWrite(**row._asdict()) if row is not None else None

    async def finish_hcp_write(
        self,
        write_id: str,
        *,
        status: str,
        hcp_id: str | None = None,
        response: JSON | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "hcp_id": hcp_id,
            "response": response,
            "error": error,
            "updated_at": utc_now(),
            "lease_until": None,
        }
        await self._update_one(hcp_writes, write_id, values, "HCP write")

    async def list_hcp_writes(self, conversation_id: str) -> list[HcpWrite]:
        c = hcp_writes.c
        query = select(hcp_writes).where(c.conversation_id == conversation_id)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query.order_by(c.created_at, c.id))).all()
        return [HcpWrite(**r._asdict()) for r in rows]


class SqlLeases(SqlCore):
    """The `Leases` aggregate."""

    async def acquire_lease(self, name: str, owner: str, *, now: datetime, until: datetime) -> bool:
        row = {"name": name, "owner": owner, "expires_at": until}
        take = {"lease_name": name, "lease_owner": owner, "now": now, "until": until}
        # Two statements, each its own transaction: the UPDATE's guard (mine or expired) is
        # what makes taking a lease safe, and the usual case (no lease) is the INSERT alone.
        insert = self._insert_ignore(leases, ["name"])
        return await self._change(insert, row) or await self._change(_take_lease(), take)

    async def release_lease(self, name: str, owner: str) -> None:
        await self._write(lambda conn: let_go(conn, name, owner))

    async def lease_owner(self, name: str, *, now: datetime) -> str | None:
        query = select(leases.c.owner).where(leases.c.name == name, leases.c.expires_at > now)
        return await self._read(lambda conn: conn.execute(query).scalar_one_or_none())


# A turn's lease statements are built once and executed with their values (see `core`).


@prepared
def _take_lease() -> Update:
    c = leases.c
    mine_or_expired = or_(c.owner == bindparam("lease_owner"), c.expires_at <= bindparam("now"))
    return (
        update(leases)
        .where(c.name == bindparam("lease_name"), mine_or_expired)
        .values(owner=bindparam("lease_owner"), expires_at=param(leases, "expires_at", "until"))
    )


def let_go(conn: Connection, name: str, owner: str) -> None:
    """Release lease `name` if `owner` holds it, inside the caller's transaction."""
    changed(conn, lease_release(), {"lease_name": name, "lease_owner": owner})


@prepared
def lease_release() -> Delete:
    c = leases.c
    return delete(leases).where(
        c.name == bindparam("lease_name"), c.owner == bindparam("lease_owner")
    )

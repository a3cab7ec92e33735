"""Conversations, their turns and tool calls on SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, Row, Select, Update, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from voice_agent.errors import StorageError
from voice_agent.storage.base import (
    JSON,
    Channel,
    Conversation,
    NewConversation,
    NewTurn,
    StaleStateError,
    ToolCallRecord,
    Turn,
)
from voice_agent.storage.sql.core import (
    SqlCore,
    conversations,
    new_id,
    param,
    tool_calls,
    turns,
    utc_now,
)
from voice_agent.storage.sql.journal import lease_release, let_go
from voice_agent.storage.sql.prepared import changed, prepared, returned


class SqlConversations(SqlCore):
    """The `Conversations` and `Turns` aggregates."""

    async def create_conversation(self, new: NewConversation) -> tuple[Conversation, bool]:
        now = utc_now()
        values: dict[str, Any] = {
            "id": new_id(),
            "channel": new.channel,
            "external_id": new.external_id,
            "caller": new.caller,
            "business_number": new.business_number,
            "test_mode": new.test_mode,
            "language": new.language,
            "status": "active",
            "state": {},
            "version": 1,
            "started_at": now,
            "updated_at": now,
        }
        row, created = await self._insert_or_get(conversations, values, ["channel", "external_id"])
        return Conversation(**row), created

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        found = await self._row(_conversation_by_id(), {"conversation_id": conversation_id})
        return None if found is None else Conversation(**found)

    async def find_conversation(self, channel: Channel, external_id: str) -> Conversation | None:
        params = {"channel": channel, "external_id": external_id}
        found = await self._row(_conversation_by_key(), params)
        return None if found is None else Conversation(**found)

    async def save_state(self, conversation_id: str, state: JSON, *, expected_version: int) -> int:
        def work(conn: Connection) -> int:
            version = _save_state(conn, conversation_id, state, expected_version)
            if version is None:
                raise _stale(conn, conversation_id, expected_version)
            return version

        return await self._write(work)

    async def finish_turn(
        self,
        conversation_id: str,
        turn: NewTurn,
        state: JSON,
        *,
        expected_version: int,
        fields: JSON | None = None,
        release: tuple[str, str] | None = None,
    ) -> int | None:
        fields = dict(fields or {})
        unknown = set(fields) - CONVERSATION_FIELDS
        if unknown:
            raise ValueError(f"cannot update conversation fields {sorted(unknown)}")

        if self._postgres:  # one statement: one round trip instead of five
            params = _state_params(conversation_id, state, expected_version, fields)
            params |= {f"turn_{k}": v for k, v in _turn_row(conversation_id, turn).items()}
            if release is not None:
                params |= {"lease_name": release[0], "lease_owner": release[1]}
            at_once = _finish_turn_at_once(tuple(sorted(fields)), release is not None)
            found = await self._row(at_once, params, write=True)
            assert found is not None  # a SELECT of two scalar subqueries: always one row
            if found["saved"] is None and found["current"] is None:
                raise StorageError(f"no conversation {conversation_id}")
            return None if found["saved"] is None else int(found["saved"])

        def work(conn: Connection) -> int | None:
            self._insert_turn(conn, conversation_id, turn)
            version = _save_state(conn, conversation_id, state, expected_version, fields)
            if version is None:
                stale = _stale(conn, conversation_id, expected_version)
                if not isinstance(stale, StaleStateError):
                    raise stale
            if release is not None:
                let_go(conn, *release)
            return version  # None: the turn stays recorded; the other writer's state wins

        return await self._write(work)

    async def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        unknown = set(fields) - CONVERSATION_FIELDS
        if unknown:
            raise ValueError(f"cannot update conversation fields {sorted(unknown)}")
        await self._update_one(
            conversations, conversation_id, {**fields, "updated_at": utc_now()}, "conversation"
        )

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0, channel: Channel | None = None
    ) -> list[Conversation]:
        c = conversations.c
        query = select(conversations).order_by(c.started_at.desc(), c.id.desc())
        if channel is not None:
            query = query.where(c.channel == channel)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [_conversation(r) for r in rows]

    async def add_turn(
        self, conversation_id: str, seq: int, role: str, text: str, meta: JSON | None = None
    ) -> bool:
        return await self._change(
            self._insert_ignore(turns, TURN_KEY),
            _turn_row(conversation_id, NewTurn(seq, role, text, meta or {})),
        )

    def _insert_turn(self, conn: Connection, conversation_id: str, turn: NewTurn) -> bool:
        """Record `turn` in the current transaction unless it is recorded; True if new."""
        return changed(conn, self._insert_ignore(turns, TURN_KEY), _turn_row(conversation_id, turn))

    async def update_turn(self, conversation_id: str, seq: int, role: str, *, text: str) -> bool:
        c = turns.c
        stmt = (
            update(turns)
            .where(c.conversation_id == conversation_id, c.seq == seq, c.role == role)
            .values(text=text)
        )
        return await self._write(lambda conn: changed(conn, stmt))

    async def list_turns(self, conversation_id: str) -> list[Turn]:
        query = (
            select(turns)
            .where(turns.c.conversation_id == conversation_id)
            .order_by(turns.c.seq, turns.c.id)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [
            Turn(
                conversation_id=r.conversation_id,
                seq=r.seq,
                role=r.role,
                text=r.text,
                meta=r.meta,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def add_tool_call(
        self,
        conversation_id: str,
        turn_seq: int,
        name: str,
        arguments: JSON,
        result: Any,
        error: str | None,
        duration_ms: float,
    ) -> ToolCallRecord:
        record = ToolCallRecord(
            id=new_id(),
            conversation_id=conversation_id,
            turn_seq=turn_seq,
            name=name,
            arguments=arguments,
            result=result,
            error=error,
            duration_ms=duration_ms,
            created_at=utc_now(),
        )
        await self._change(_insert_tool_call(), record.__dict__)
        return record

    async def list_tool_calls(self, conversation_id: str) -> list[ToolCallRecord]:
        c = tool_calls.c
        query = (
            select(tool_calls)
            .where(c.conversation_id == conversation_id)
            .order_by(c.created_at, c.turn_seq)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [ToolCallRecord(**r._asdict()) for r in rows]


CONVERSATION_FIELDS = frozenset(
    {"status", "outcome", "hcp_customer_id", "language", "ended_at", "duration_seconds"}
)
TURN_KEY = ["conversation_id", "seq", "role"]
TURN_COLUMNS = ("conversation_id", "seq", "role", "text", "meta", "created_at")


@prepared
def _conversation_by_id() -> Select[Any]:
    return select(conversations).where(conversations.c.id == bindparam("conversation_id"))


@prepared
def _conversation_by_key() -> Select[Any]:
    c = conversations.c
    return select(conversations).where(
        c.channel == bindparam("channel"), c.external_id == bindparam("external_id")
    )


@prepared
def _insert_tool_call() -> Insert:
    return tool_calls.insert()


@prepared
def _state_update(fields: tuple[str, ...]) -> Update:
    """Set the state, `fields` and the next version of a conversation at an expected version.

    Built once per set of fields and executed with its values (see `core`).
    """
    c = conversations.c
    values = {f: param(conversations, f, f"new_{f}") for f in (*fields, "state", "updated_at")}
    return (
        update(conversations)
        .where(c.id == bindparam("conversation_id"), c.version == bindparam("expected"))
        .values(**values, version=c.version + 1)
        .returning(c.version)
    )


def _save_state(
    conn: Connection,
    conversation_id: str,
    state: JSON,
    expected_version: int,
    fields: JSON | None = None,
) -> int | None:
    """Bump the version if it is `expected_version`, setting `state` and any `fields`."""
    params = _state_params(conversation_id, state, expected_version, fields)
    version = returned(conn, _state_update(tuple(sorted(fields or ()))), params)
    return None if version is None else int(version)


def _state_params(
    conversation_id: str, state: JSON, expected_version: int, fields: JSON | None
) -> dict[str, Any]:
    """The parameters of `_state_update`."""
    values = {**(fields or {}), "state": state, "updated_at": utc_now()}
    params = {f"new_{k}": v for k, v in values.items()}
    return params | {"conversation_id": conversation_id, "expected": expected_version}


@prepared
def _finish_turn_at_once(fields: tuple[str, ...], release: bool) -> Select[Any]:
    """PostgreSQL: `finish_turn` as one statement, so one atomic transaction in autocommit.

    The turn, the state (see `_state_update`) and the lease's release are data-modifying
    CTEs; PostgreSQL runs each once, to completion, whether or not the query reads it. The
    query returns the version the state was saved at (`saved`, None when stale) and the one
    the conversation had before (`current`: all parts see the statement's snapshot).
    """
    t = turns.c
    turn = (
        pg_insert(turns)
        .values({k: param(turns, k, f"turn_{k}") for k in TURN_COLUMNS})
        .on_conflict_do_nothing(index_elements=[t[k] for k in TURN_KEY])
        .cte("new_turn")
    )
    saved = _state_update(fields).cte("saved")
    c = conversations.c
    current = select(c.version).where(c.id == bindparam("conversation_id"))
    query = select(
        select(saved.c.version).scalar_subquery().label("saved"),
        current.scalar_subquery().label("current"),
    ).add_cte(turn, saved)
    return query.add_cte(lease_release().cte("released")) if release else query


def _stale(conn: Connection, conversation_id: str, expected_version: int) -> Exception:
    c = conversations.c
    current = conn.execute(select(c.version).where(c.id == conversation_id)).scalar_one_or_none()
    if current is None:
        return StorageError(f"no conversation {conversation_id}")
    return StaleStateError(
        f"conversation {conversation_id} is at version {current}, not {expected_version}"
    )


def _turn_row(conversation_id: str, turn: NewTurn) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "seq": turn.seq,
        "role": turn.role,
        "text": turn.text,
        "meta": turn.meta or {},
        "created_at": utc_now(),
    }


def _conversation(row: Row[Any]) -> Conversation:
    return Conversation(**row._asdict())

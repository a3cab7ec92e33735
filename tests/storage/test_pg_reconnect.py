"""PostgreSQL: connections the server closed (a restart, an idle timeout) are replaced on
checkout, without a round trip per checkout (`pool_pre_ping`, which cost a call's worth of
waiting on a busy event loop at every store operation)."""

from __future__ import annotations

import asyncio

import pytest

from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import open_store

from .conftest import _pg_exec, pg_url

pytestmark = pytest.mark.postgres


async def test_a_store_survives_the_server_closing_its_connections(pg_schema: str) -> None:
    store = open_store(pg_url(), schema=pg_schema)
    try:
        new = NewConversation(channel="voice", external_id="CA-restart", caller="+15555550100")
        conv, _ = await store.create_conversation(new)
        await asyncio.gather(*(store.get_conversation(conv.id) for _ in range(5)))  # a few pooled
        await _pg_exec(  # as a server restart would: every other client connection goes
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND backend_type = 'client backend'"
        )
        await asyncio.sleep(0.2)  # the driver reads the server's goodbye
        assert await store.get_conversation(conv.id) is not None
        assert await store.add_turn(conv.id, 1, "caller", "still here")
        stored = await asyncio.gather(*(store.get_conversation(conv.id) for _ in range(5)))
        assert all(s is not None for s in stored)
    finally:
        await store.close()

"""RELIABILITY §8 rows 26 and 29: the HCP key never leaks; emergencies work with LLM/HCP down."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

import hcp
from hcp.sandbox import FaultRule, Faults, SandboxState, create_sandbox_app
from hcp.sandbox.testing import SANDBOX_BASE_URL, FakeClock
from tests.engine.conftest import ON_CALL, EngineFactory
from tests.engine.fakes import FailingModel, talk
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.events import Transfer
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.engine.intents import SAFETY_INSTRUCTIONS
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore
from voice_agent.tools import default_registry
from voice_agent.vault import Vault

CANARY = "canary-hcp-key-7Q2xZ9-not-real"
MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, test only
BOOKING = [
    "My kitchen drain is clogged",
    "It's Jane Doe",
    "12 Birch Drive, Chatham, IL 62629",
    "Friday works",
    "yes please",
    "no thanks, bye",
]


async def test_canary_key_never_reaches_logs_database_transcripts_or_errors(
    tmp_path: Path,
    store: SqlStore,
    sandbox_state: SandboxState,
    clock: FakeClock,
    business: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    faults = Faults([FaultRule("server_error", path="^/jobs$", method="POST", times=1)])
    app = create_sandbox_app(state=sandbox_state, clock=clock, faults=faults, api_key=CANARY)
    client = hcp.HcpClient(
        CANARY,
        base_url=SANDBOX_BASE_URL,
        allowed_domains=("sandbox.hcp.test",),
        transport=httpx.ASGITransport(app=app),
        max_retries=0,
    )
    await Vault(store, SecretStr(MASTER_KEY)).put(  # the key at rest, as `credentials set` does
        "hcp", CANARY, allowed_domains=("*.housecallpro.com",)
    )
    engine = DialogueEngine(
        store=store,
        hcp_client=client,
        model=GuidedIntakeModel(),
        settings=business,
        tools=default_registry(),
        clock=clock,
    )
    with caplog.at_level(logging.DEBUG):  # DEBUG everywhere: httpx, hcp, engine, storage
        started = await engine.start(
            NewConversation(channel="voice", external_id="CA-k1", caller="+15551230001")
        )
        replies = [(await talk(engine, started.conversation.id, line))[0] for line in BOOKING]
        with pytest.raises(hcp.HcpError) as refused:  # an error path, too
            async with hcp.HcpClient(
                "wrong-key-not-real",
                base_url=SANDBOX_BASE_URL,
                allowed_domains=("sandbox.hcp.test",),
                transport=httpx.ASGITransport(app=app),
            ) as other:
                await other.company.get()
    await client.aclose()
    assert "office will confirm" in " ".join(replies)  # the failed POST took the error path
    assert CANARY not in caplog.text
    assert CANARY not in str(refused.value) and CANARY not in repr(client)
    turns = await store.list_turns(started.conversation.id)
    writes = await store.list_hcp_writes(started.conversation.id)
    outbox = await store.list_outbox()
    everything = json.dumps(
        [
            [t.text for t in turns],
            [(w.request, w.response, w.error) for w in writes],
            [(o.payload, o.last_error) for o in outbox],
        ],
        default=str,
    )
    assert CANARY not in everything
    await store.close()  # flush SQLite before reading its files
    raw = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("store.db*")))  # noqa: ASYNC240
    assert CANARY.encode() not in raw
    assert b"7Q2xZ9" not in raw  # not even a fragment (the vault keeps only the last 4)


@pytest.mark.parametrize(
    ("said", "kind"),
    [("I smell gas", "gas"), ("the CO alarm is going off", "carbon_monoxide")],
)
async def test_emergency_with_llm_and_hcp_down(
    make_engine: EngineFactory, faults: Faults, store: SqlStore, said: str, kind: str
) -> None:
    faults.replace([FaultRule("server_error", path="")])  # every HCP request fails
    engine = make_engine(FailingModel())
    new = NewConversation(channel="voice", external_id=f"CA-off-{kind}", caller="+13125550177")
    conv = (await engine.start(new)).conversation.id
    reply, events = await talk(engine, conv, said)
    assert reply.startswith(SAFETY_INSTRUCTIONS[kind])  # type: ignore[index]
    assert [e for e in events if isinstance(e, Transfer)] == [
        Transfer(ON_CALL, f"emergency:{kind}")
    ]
    [alert] = [o for o in await store.list_outbox() if o.kind == "notify_office"]
    assert "(312) 555-0177" in alert.payload["text"]

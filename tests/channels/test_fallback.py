"""The Fallback URL: apology, recorded message, lead + office alert, without database or HCP.

Issue 18: the Fallback URL took no message and saved no lead. RELIABILITY.md §8 row 16.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from voice_agent import deps
from voice_agent.app import create_app
from voice_agent.channels import voice_fallback
from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.errors import StorageError
from voice_agent.messaging.hcp_writes import HcpWriteReplayer
from voice_agent.outbox import RetryHcpWrite
from voice_agent.services import build_sandbox_client
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore

from .conftest import PUBLIC, TOKEN, FakeEngine, serving, voice_settings

pytestmark = pytest.mark.usefixtures("settings")

CALLER = "+13125550142"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE123"


def sim_for(client: httpx.AsyncClient) -> SimulatedCall:
    return SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=CALLER)


def recorded(sim: SimulatedCall) -> dict[str, str]:
    return {
        **sim.base_params(),
        "RecordingUrl": RECORDING,
        "RecordingSid": "RE123",
        "RecordingDuration": "14",
    }


async def test_fallback_apologises_and_records_a_message(
    vsettings: Settings, store: SqlStore, engine: FakeEngine
) -> None:
    async with serving(vsettings, store, engine) as client:
        sim = sim_for(client)
        params = {**sim.base_params(), "ErrorCode": "11200", "ErrorUrl": f"{PUBLIC}/twilio/voice"}
        exchange = await sim.post("/twilio/voice/fallback", params)
        assert exchange.status == 200
        root = ET.fromstring(exchange.body)
        assert "trouble" in (root.findtext("Say") or "")
        record = root.find("Record")
        assert record is not None and record.get("action") == "/twilio/voice/fallback/message"
        assert engine.runs == []
        [alert] = [o for o in await store.list_outbox() if o.kind == "notify_office"]
        assert "(312) 555-0142" in alert.payload["text"]

        done = await sim.post("/twilio/voice/fallback/message", recorded(sim))
        assert "Thank you" in (ET.fromstring(done.body).findtext("Say") or "")
        again = await sim.post("/twilio/voice/fallback/message", recorded(sim))  # a retry
        assert again.body == done.body
    items = await store.list_outbox()
    [lead] = [o for o in items if o.kind == "hcp_write"]
    voicemails = [o for o in items if o.payload.get("reason") == "fallback_voicemail"]
    assert len(voicemails) == 1 and RECORDING in voicemails[0].payload["text"]
    assert "(312) 555-0142" in voicemails[0].payload["text"]
    assert lead.payload["operation"] == "create_lead"
    assert RECORDING in lead.payload["request"]["note"]


async def test_the_queued_lead_is_created_in_hcp_by_the_outbox(
    vsettings: Settings, store: SqlStore, engine: FakeEngine
) -> None:
    async with serving(vsettings, store, engine) as client:
        sim = sim_for(client)
        await sim.post("/twilio/voice/fallback/message", recorded(sim))
    [item] = [o for o in await store.list_outbox() if o.kind == "hcp_write"]
    hcp, state = build_sandbox_client(vsettings)
    try:
        before = len(state.all("leads"))
        job = RetryHcpWrite.from_payload(item.payload)
        await HcpWriteReplayer(store, hcp).handle(job, item, datetime.now(UTC))
        leads = state.all("leads")
        assert len(leads) == before + 1
        assert RECORDING in json.dumps(leads[-1])
    finally:
        await hcp.aclose()
        state.close()


class DownStore:
    """A store whose database is unreachable."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner

    async def enqueue(self, *args: Any, **kwargs: Any) -> bool:
        raise StorageError("database unreachable: connection refused")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_with_the_database_down_the_message_is_spooled_then_queued(
    vsettings: Settings, store: SqlStore, engine: FakeEngine
) -> None:
    down = DownStore(store)
    async with serving(vsettings, store, engine) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        app.dependency_overrides[deps.maybe_store] = lambda: down
        sim = sim_for(client)
        first = await sim.post("/twilio/voice/fallback", sim.base_params())
        done = await sim.post("/twilio/voice/fallback/message", recorded(sim))
        assert first.status == done.status == 200
        assert "Thank you" in done.body
        assert await store.list_outbox() == []
        assert voice_fallback.spool_path(vsettings).exists()
    async with serving(vsettings, store, engine):  # the next start-up moves the spool
        pass
    kinds = sorted(o.kind for o in await store.list_outbox())
    assert kinds == ["hcp_write", "notify_office", "notify_office"]
    assert not voice_fallback.spool_path(vsettings).exists()


async def test_fallback_is_served_when_start_up_never_finished(tmp_path: Path) -> None:
    """No services at all (database or HCP down at start): still an answer, nothing lost."""
    settings = voice_settings(tmp_path)
    app = create_app(settings)  # lifespan not run: no store, no engine, no HCP client
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        sim = sim_for(client)
        answer = await sim.post("/twilio/voice/fallback", sim.base_params())
        assert answer.status == 200 and ET.fromstring(answer.body).find("Record") is not None
        done = await sim.post("/twilio/voice/fallback/message", recorded(sim))
        assert done.status == 200
    spooled = voice_fallback.spool_path(settings).read_text().splitlines()
    assert len(spooled) == 3 and RECORDING in spooled[-1]


async def test_unsigned_fallback_requests_are_refused(
    vsettings: Settings, store: SqlStore, engine: FakeEngine
) -> None:
    async with serving(vsettings, store, engine) as client:
        sim = sim_for(client)
        for path in ("/twilio/voice/fallback", "/twilio/voice/fallback/message"):
            refused = await sim.post(path, recorded(sim), signature="")
            assert refused.status == 403
    assert await store.list_outbox() == []
    assert not voice_fallback.spool_path(vsettings).exists()

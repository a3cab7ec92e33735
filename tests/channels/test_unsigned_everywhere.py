"""RELIABILITY §8 row 1: every Twilio webhook refuses a request without a valid signature.

403 on each route (voice, turns, fillers, transfers, messages, status, fallback, SMS, SMS
status), and nothing is stored, no engine (LLM/HCP) work is started.
"""

from __future__ import annotations

import httpx
import pytest

from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.storage import SqlStore

from .conftest import PUBLIC, TOKEN, FakeEngine

pytestmark = pytest.mark.usefixtures("settings")

ROUTES = (
    "/twilio/voice",
    "/twilio/voice/turn?seq=1",
    "/twilio/voice/continue?seq=1&hop=1",
    "/twilio/voice/dial?seq=1",
    "/twilio/voice/message?seq=1",
    "/twilio/voice/status",
    "/twilio/voice/fallback",
    "/twilio/voice/fallback/message",
    "/twilio/sms",
    "/twilio/sms/status",
)


@pytest.mark.parametrize(
    "signature", [None, "", "bm90IGEgc2lnbmF0dXJl"], ids=["none", "empty", "forged"]
)
async def test_every_twilio_route_refuses_unsigned_requests(
    client: httpx.AsyncClient, store: SqlStore, engine: FakeEngine, signature: str | None
) -> None:
    sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
    params = {
        **sim.base_params("completed"),
        "SpeechResult": "book me",
        "MessageSid": "SM" + "1" * 32,
        "Body": "hello",
        "MessageStatus": "delivered",
        "DialCallStatus": "no-answer",
        "RecordingUrl": "https://api.twilio.com/rec/RE1",
    }
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    statuses = {
        path: (await client.post(path, data=params, headers=headers)).status_code for path in ROUTES
    }
    assert statuses == dict.fromkeys(ROUTES, 403)
    assert await store.list_conversations() == []
    assert await store.list_outbox() == []
    assert engine.runs == []

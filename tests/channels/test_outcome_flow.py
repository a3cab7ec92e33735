"""Outcomes settled when real calls end (guided intake, sandbox, signed webhooks)."""

from __future__ import annotations

import pytest

from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.outcomes import unbooked_reason
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore

from .conftest import PUBLIC, TOKEN, follow_up, serving

pytestmark = pytest.mark.usefixtures("settings")


async def test_agent_closes_without_a_booking(vsettings: Settings, store: SqlStore) -> None:
    async with serving(vsettings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller="+12125550171")
        await sim.start()
        await sim.say("my water heater is leaking")
        await sim.say("Sam Rivera")
        await sim.say("400 Lake Shore Drive, Chicago, IL 60611")
        bye = await sim.say("no thanks")
        assert bye.hung_up
        [conversation] = await store.list_conversations()
        assert conversation.outcome == "out_of_area"  # settled by the engine as it closed
        await sim.hang_up(duration=50)
        await follow_up(client)
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "out_of_area"
    assert unbooked_reason(conversation) == "address outside the service area"


async def test_caller_hangs_up_mid_way_is_abandoned(vsettings: Settings, store: SqlStore) -> None:
    async with serving(vsettings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller="+12125550172")
        await sim.start()
        await sim.say("my furnace is banging")
        await sim.hang_up(duration=20)
        await follow_up(client)
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "abandoned"
    assert unbooked_reason(conversation) == "caller hung up before anything was settled"


async def test_booking_call_is_not_flagged(vsettings: Settings, store: SqlStore) -> None:
    async with serving(vsettings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller="+12125550173")
        await sim.start()
        for line in ("my furnace is banging", "Jane Doe", "123 Main Street, Springfield, IL 62701"):
            await sim.say(line)
        await sim.say("the first one")
        await sim.press("1")
        await sim.hang_up(duration=90)
        await follow_up(client)
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "booked" and unbooked_reason(conversation) is None

"""Card data never reaches the transcript, the model or HCP; emergency alerts name the caller."""

from __future__ import annotations

import json

import pytest

from hcp.sandbox import SandboxState
from tests.engine.conftest import CountingTransport, EngineFactory
from tests.engine.fakes import ScriptedChatModel, say, talk
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore

CALLER = "+13125550101"  # seeded: Olivia Wilson
CARD = "4111 1111 1111 1111"
SPOKEN = "four one one one one one one one one one one one one one one one"


async def open_call(engine: object, caller: str = CALLER, sid: str = "CA-card") -> str:
    new = NewConversation(channel="voice", external_id=sid, caller=caller)
    return (await engine.start(new)).conversation.id  # type: ignore[attr-defined]


def leaks(text: str) -> bool:
    return any(x in text for x in ("1111", "one one one", "12 27", "123"))


@pytest.mark.parametrize(
    "said",
    [
        f"I want to pay my bill, my card is {CARD} expires 12 27 code 123",
        f"can you put it on my visa {SPOKEN}",
    ],
)
async def test_card_said_to_the_engine_is_masked_and_steered_to_the_pay_link(
    make_engine: EngineFactory,
    store: SqlStore,
    transport: CountingTransport,
    said: str,
) -> None:
    model = ScriptedChatModel(say("Sure, reading it back: " + CARD))  # must never be asked
    engine = make_engine(model)
    conv = await open_call(engine)
    reply, _ = await talk(engine, conv, said)
    assert not leaks(reply)
    assert "card" in reply.lower() and "text" in reply.lower()
    turns = await store.list_turns(conv)
    assert not any(leaks(t.text) for t in turns)
    assert not leaks(json.dumps([[m.to_dict() for m in ms] for ms, _ in model.requests]))
    assert model.requests == []  # the model is not consulted for that turn
    stored = await store.get_conversation(conv)
    assert stored is not None and not leaks(json.dumps(stored.state))
    [sms] = [o for o in await store.list_outbox() if o.kind == "sms"]
    assert sms.payload["to"] == CALLER
    assert "https://pay.example.com/brightoak" in sms.payload["body"]
    assert transport.writes() == []


async def test_without_a_pay_link_the_office_calls_back_and_nothing_is_texted(
    make_engine: EngineFactory, store: SqlStore, business: Settings
) -> None:
    engine = make_engine(settings=business.model_copy(update={"pay_url": None}))
    conv = await open_call(engine)
    reply, _ = await talk(engine, conv, f"my card number is {CARD}")
    assert not leaks(reply) and "office" in reply.lower()
    assert [o.kind for o in await store.list_outbox()] == []


async def test_a_caller_without_caller_id_is_not_promised_a_call_back(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    engine = make_engine()
    conv = await open_call(engine, caller="unknown", sid="CA-card-anon")
    reply, _ = await talk(engine, conv, f"my card number is {CARD}")
    assert not leaks(reply) and "card" in reply.lower()
    assert "call you back" not in reply.lower()
    assert [o.kind for o in await store.list_outbox()] == []


async def test_guided_intake_never_records_a_card_as_the_problem(
    make_engine: EngineFactory, store: SqlStore, sandbox_state: SandboxState
) -> None:
    engine = make_engine(GuidedIntakeModel())
    conv = await open_call(engine, "+15551230009", "CA-card-guided")
    await talk(engine, conv, f"my card is {CARD}")
    await talk(engine, conv, "my AC is broken")
    turns = await store.list_turns(conv)
    assert not any(leaks(t.text) for t in turns)
    hcp_data = json.dumps([sandbox_state.all(k) for k in ("customers", "jobs", "leads")])
    assert "1111 1111" not in hcp_data and "4111" not in hcp_data


@pytest.mark.parametrize("caller", ["+13125550177", "unknown"])
async def test_emergency_alert_to_the_office_names_the_callers_number(
    make_engine: EngineFactory, store: SqlStore, caller: str
) -> None:
    engine = make_engine(GuidedIntakeModel())
    conv = await open_call(engine, caller, f"CA-gas-{caller}")
    await talk(engine, conv, "I smell gas in the kitchen")
    [alert] = [o for o in await store.list_outbox() if o.kind == "notify_office"]
    text = alert.payload["text"]
    if caller == "unknown":
        assert "no caller ID" in text
    else:
        assert "(312) 555-0177" in text or "+13125550177" in text


async def test_an_emergency_said_with_a_card_number_still_gets_the_safety_script(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    from voice_agent.engine.intents import SAFETY_INSTRUCTIONS

    engine = make_engine(GuidedIntakeModel())
    conv = await open_call(engine, "+13125550177", "CA-gas-card")
    reply, _ = await talk(engine, conv, f"I smell gas, charge my card {CARD}")
    assert reply.startswith(SAFETY_INSTRUCTIONS["gas"])  # type: ignore[index]
    assert not any(leaks(t.text) for t in await store.list_turns(conv))

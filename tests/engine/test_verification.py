"""Caller verification: caller ID plus a fact a spoofer cannot look up, attempts limited per number.

Issue 18: a spoofed caller ID plus the customer's full name (easy to find) unlocked the
account tools. Now a caller recognised by phone proves the service address with its house
number (or the ZIP plus the house number), and failures count per caller number across calls.
"""

from __future__ import annotations

from typing import Any

import pytest

from hcp.sandbox import SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, say, talk, tool_results
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore

JAMES = "+12175550100"  # seeded: James Smith, 6420 Oak St, Springfield IL 62701
OLIVIA = "+13125550101"
TOO_MANY = "Too many attempts. Do not try again; offer to take a message."


async def open_call(engine: DialogueEngine, caller: str, sid: str) -> str:
    new = NewConversation(channel="voice", external_id=sid, caller=caller)
    return (await engine.start(new)).conversation.id


async def verify(
    make_engine: EngineFactory, caller: str, sid: str, **arguments: Any
) -> tuple[Any, Any]:
    """One call: verify_caller with `arguments`, then the appointments tool."""
    model = ScriptedChatModel(
        call("verify_caller", arguments), call("list_my_appointments"), say("...")
    )
    engine = make_engine(model)
    conv = await open_call(engine, caller, sid)
    _, events = await talk(engine, conv, "it's me, what are my appointments?")
    results = tool_results(events)
    return results["verify_caller"], results["list_my_appointments"]


async def test_spoofed_caller_id_plus_full_name_unlocks_nothing(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    verified, appointments = await verify(make_engine, JAMES, "CA-v1", full_name="James Smith")
    assert verified.result is None and verified.error
    assert appointments.result is None and appointments.error
    assert await store.list_outbox() == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"street_address": "Oak Street"},  # no house number
        {"street_address": "6420"},  # house number alone
        {"street_address": "6420 Elm Street"},  # wrong street
        {"street_address": "6421 Oak Street"},  # wrong number
        {"street_address": "6420", "zip_code": "62702"},  # wrong ZIP
        {"street_address": "Oak Street", "full_name": "James Smith", "zip_code": "62701"},
    ],
)
async def test_incomplete_or_wrong_facts_do_not_verify(
    make_engine: EngineFactory, arguments: dict[str, str]
) -> None:
    verified, appointments = await verify(make_engine, JAMES, "CA-v2", **arguments)
    assert verified.result is None and appointments.result is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"street_address": "6420 Oak Street"},
        {"street_address": "6420 oak st, springfield"},
        {"street_address": "6420", "zip_code": "62701"},
        {"street_address": "house number 6420, zip 62701"},
    ],
)
async def test_house_number_with_street_or_zip_verifies(
    make_engine: EngineFactory, arguments: dict[str, str]
) -> None:
    verified, appointments = await verify(make_engine, JAMES, "CA-v3", **arguments)
    assert verified.result == {"verified": True, "first_name": "James"}
    assert appointments.error is None


async def test_failures_are_limited_per_caller_number_across_calls(
    make_engine: EngineFactory, sandbox_state: SandboxState
) -> None:
    for n in range(3):  # one wrong guess per call, three calls
        verified, _ = await verify(
            make_engine, JAMES, f"CA-guess-{n}", street_address=f"{n} Wrong Road"
        )
        assert verified.error and verified.error != TOO_MANY
    # The fourth call is refused even with the right answer.
    verified, appointments = await verify(
        make_engine, JAMES, "CA-guess-3", street_address="6420 Oak Street"
    )
    assert verified.error == TOO_MANY and appointments.result is None
    # Another customer's number is not affected.
    olivia, _ = await verify(make_engine, OLIVIA, "CA-olivia", street_address="2018 Maple Ave")
    assert olivia.result is not None and olivia.result["verified"] is True


async def test_a_success_clears_the_count(make_engine: EngineFactory) -> None:
    for n in range(2):
        await verify(make_engine, JAMES, f"CA-s{n}", street_address=f"{n} Wrong Road")
    ok, _ = await verify(make_engine, JAMES, "CA-s2", street_address="6420 Oak St")
    assert ok.result is not None
    for n in range(2):
        await verify(make_engine, JAMES, f"CA-t{n}", street_address=f"{n} Wrong Road")
    again, _ = await verify(make_engine, JAMES, "CA-t2", street_address="6420 Oak St")
    assert again.result is not None

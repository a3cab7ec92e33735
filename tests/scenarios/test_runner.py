"""Scenarios are graded for the right reason: failures name what went wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from hcp.sandbox import SandboxState, create_sandbox_app, seed_demo_company
from voice_agent.scenarios import World, parse_scenarios, run_scenario, starter_scenarios
from voice_agent.services import SANDBOX_FILE
from voice_agent.settings import Settings

BOOKING = """
name: books a furnace visit
caller: {phone: "+12125550150"}
say:
  - my furnace is making a loud banging noise
  - Jane Doe
  - 123 Main Street, Springfield, IL 62701
  - the first one
  - yes
  - no thanks
"""


def one(text: str) -> object:
    [scenario] = parse_scenarios(text, "test.yaml")
    return scenario


async def test_a_call_that_ends_unbooked_fails_with_the_outcome_as_reason(world: World) -> None:
    scenario = one(
        """
name: expects a booking but the address is out of the area
caller: {phone: "+12125550151"}
say: [my water heater is leaking, Sam Rivera, "400 Lake Shore Drive, Chicago, IL 60611", no thanks]
expect: {outcome: booked, job: {type: water heater}}
"""
    )
    result = await run_scenario(scenario, world)  # type: ignore[arg-type]
    assert result.status == "fail"
    assert "outcome was out_of_area, expected booked" in result.reasons
    assert "expected a job, none was booked" in result.reasons
    assert result.outcome == "out_of_area"


async def test_job_type_and_time_checks_catch_a_wrong_booking(world: World) -> None:
    scenario = one(
        BOOKING + 'expect: {outcome: booked, job: {type: drain, starts_between: "13:00-17:00"}}\n'
    )
    result = await run_scenario(scenario, world)  # type: ignore[arg-type]
    assert result.status == "fail", result.transcript
    assert any("job type is" in r and "expected 'drain'" in r for r in result.reasons)
    assert any("expected between 13:00 and 17:00" in r for r in result.reasons)


async def test_words_heard_and_never_heard(world: World) -> None:
    scenario = one(
        BOOKING + 'expect: {heard: ["you\'re booked", purple elephant], never_heard: [furnace]}\n'
    )
    result = await run_scenario(scenario, world)  # type: ignore[arg-type]
    assert result.reasons == ["never heard 'purple elephant'", "heard 'furnace'"]


async def test_a_transfer_and_a_message_are_seen(world: World) -> None:
    scenario = one(
        """
name: office does not pick up
caller: {phone: "+12125550152"}
say: [I smell gas, "It's Pat, please call me back"]
transfer_answered: false
expect: {transfer: true, message: true, outcome: message, no_job: true}
"""
    )
    result = await run_scenario(scenario, world)  # type: ignore[arg-type]
    assert result.status == "pass", (result.reasons, result.transcript)
    assert ("system", "transfer to the office (no-answer)") in result.transcript


async def test_rules_answer_the_agents_questions_with_the_callers_record(world: World) -> None:
    scenario = one(
        """
name: verification by rule
caller: {phone: "+12175550100"}
say: [how much do I owe, "no, that's all"]
when:
  - asks: [street address on your account, dirección]
    say: "{address}"
expect: {heard: [your balance is $129], no_job: true}
"""
    )
    result = await run_scenario(scenario, world)  # type: ignore[arg-type]
    assert result.status == "pass", (result.reasons, result.transcript)
    assert ("caller", "6420 Oak St, Springfield IL 62701") in result.transcript


async def test_expected_failure_is_reported_not_hidden(world: World) -> None:
    known_gap = one(BOOKING + "expected_failure: waits for issue 99\nexpect: {outcome: message}\n")
    result = await run_scenario(known_gap, world)  # type: ignore[arg-type]
    assert result.status == "xfail" and result.ok
    assert result.reasons[0] == "expected to fail: waits for issue 99"
    fixed = one(BOOKING + "expected_failure: waits for issue 99\nexpect: {outcome: booked}\n")
    result = await run_scenario(fixed, world)  # type: ignore[arg-type]
    assert result.status == "xpass" and not result.ok


async def test_a_broken_run_is_an_error_not_a_pass(owner: Settings) -> None:
    async with World(owner) as world:
        world.base = owner.model_copy(update={"business_timezone": "Not/AZone"})
        result = await run_scenario(starter_scenarios()[0], world)
    assert result.status == "error" and not result.ok
    assert result.reasons[0].startswith("could not run")


@pytest.fixture
def real_account(tmp_path: object) -> SandboxState:
    """Stands in for the owner's real HCP account (a sandbox reached over HTTP)."""
    state = SandboxState.open(None)
    seed_demo_company(state)
    return state


@pytest.fixture
async def dry_run_world(owner: Settings, real_account: SandboxState) -> AsyncIterator[World]:
    app = create_sandbox_app(state=real_account, api_key="real-key-not-real")
    transport = httpx.ASGITransport(app=app)
    async with World(owner, dry_run_key="real-key-not-real", hcp_transport=transport) as world:
        yield world


async def test_dry_run_books_against_the_real_account_and_writes_nothing(
    dry_run_world: World, real_account: SandboxState
) -> None:
    before = {c: len(real_account.all(c)) for c in ("customers", "jobs", "notes")}
    scenario = one(BOOKING + "expect: {outcome: booked, job: {type: furnace, within_days: 14}}\n")
    result = await run_scenario(scenario, dry_run_world)  # type: ignore[arg-type]
    assert result.status == "pass", (result.reasons, result.transcript)
    assert result.mode == "dry-run"
    assert {c: len(real_account.all(c)) for c in before} == before


async def test_turn_limit_and_the_callers_last_line_show_in_the_transcript(world: World) -> None:
    long = one(BOOKING.replace("name: books a furnace visit", "name: long") + "max_turns: 2\n")
    result = await run_scenario(long, world)  # type: ignore[arg-type]
    assert result.turns == 2 and result.transcript[-1] == ("system", "2 turns played; hanging up")
    short = one("name: short\ncaller: {phone: '+12125550153'}\nsay: [hello]\n")
    result = await run_scenario(short, world)  # type: ignore[arg-type]
    assert result.transcript[-1][1] == "the caller has nothing more to say and hangs up"
    assert result.outcome == "abandoned"


async def test_a_fully_booked_calendar_ends_as_no_capacity(world: World) -> None:
    assert world._dir is not None
    account = SandboxState.open(world._dir / "template" / SANDBOX_FILE)  # nothing free for 200 days
    availability = account.meta("availability")
    account.set_meta("availability", {**availability, "availability_buffer_in_days": 200})
    account.close()
    scenario = one(
        """
name: no free window
caller: {phone: "+12125550154"}
say:
  - my furnace is making a loud banging noise
  - Jane Doe
  - 123 Main Street, Springfield, IL 62701
  - no thanks
expect: {outcome: booked}
"""
    )
    result = await run_scenario(scenario, world)  # type: ignore[arg-type]
    assert result.reasons == ["outcome was no_capacity, expected booked"], result.transcript


async def test_a_missing_transfer_number_is_named_as_the_reason(owner: Settings) -> None:
    scenario = one(
        """
name: gas smell with no number to put the caller through to
caller: {phone: "+12125550153"}
say: [I smell gas in my kitchen]
expect: {transfer: true}
"""
    )
    bare = owner.model_copy(update={"on_call_number": None, "office_number": None})
    async with World(bare) as world:
        result = await run_scenario(scenario, world)  # type: ignore[arg-type]
    assert result.status == "fail"
    assert any("no ON_CALL_NUMBER or OFFICE_NUMBER is set" in r for r in result.reasons)

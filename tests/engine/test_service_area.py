"""Service area: out-of-area addresses are refused before any booking, in guided and LLM mode.

The demo sandbox seeds two HCP service zones (Springfield 62701-62704; Chatham 62629 and
Rochester 62563); the default settings list no area, so the zones decide unless a test sets
`service_area`.
"""

from __future__ import annotations

from typing import Any

import pytest

from hcp.sandbox import FaultRule, Faults, SandboxState
from tests.engine.conftest import CountingTransport, EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, calls, say, talk, tool_results
from voice_agent.engine import guided
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore
from voice_agent.tools.area import settings_area, verdict

JAMES = "+12175550100"  # demo customer at 6420 Oak St, Springfield
CHICAGO = "9 Lake Shore Drive, Chicago, IL 60601"
REFUSED_CHICAGO = f"{guided.OUT_OF_AREA.format(place='Chicago')} {guided.ASK_MESSAGE}"


async def open_call(engine: Any, caller: str, external_id: str = "CA-area") -> str:
    started = await engine.start(
        NewConversation(channel="voice", external_id=external_id, caller=caller)
    )
    return str(started.conversation.id)


async def say_all(engine: Any, conv: str, lines: list[str]) -> list[str]:
    return [(await talk(engine, conv, line))[0] for line in lines]


def customers_of(state: SandboxState, phone: str) -> list[dict[str, Any]]:
    return [c for c in state.all("customers") if c["mobile_number"] == phone]


def jobs_of(state: SandboxState, customer_id: str) -> list[dict[str, Any]]:
    return [j for j in state.all("jobs") if j["customer_id"] == customer_id]


def zone_requests(transport: CountingTransport) -> int:
    return sum(1 for method, path in transport.requests if path == "/service_zones")


def refuse_zones(state: SandboxState) -> None:
    """Make the sandbox answer /service_zones with 401, as HCP may for a company key."""
    state.set_meta("settings", {**state.meta("settings"), "service_zones_refused": True})


# -- matching rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "city", "state", "zip", "expected"),
    [
        (("62701",), None, None, "62701", "yes"),
        (("62701",), None, None, "62701-1234", "yes"),
        (("62701",), None, None, "60601", "no"),
        (("62701",), "Chicago", "IL", None, "unknown"),  # only ZIPs listed, only a city said
        (("Springfield",), "SPRINGFIELD", "IL", None, "yes"),
        (("springfield",), "Springfield", None, "99999", "yes"),  # city or ZIP may match
        (("Springfield",), "Chicago", None, None, "no"),
        (("Springfield IL",), "Springfield", "MO", None, "no"),  # the listed state must match
        (("Springfield IL",), "Springfield", None, None, "yes"),  # state unknown: city decides
        (("Round Rock", "78664"), "round rock", "TX", None, "yes"),
        ((), "Anywhere", None, "12345", "unknown"),
    ],
)
def test_settings_matching(
    area: tuple[str, ...], city: str | None, state: str | None, zip: str | None, expected: str
) -> None:
    assert verdict(settings_area(area), city=city, state=state, zip=zip) == expected


# -- guided intake ----------------------------------------------------------------------------


async def test_guided_refuses_an_out_of_area_new_caller_and_takes_a_message(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    engine = make_engine(GuidedIntakeModel())
    conv = await open_call(engine, "+15551230009")
    jobs_before = len(sandbox_state.all("jobs"))
    replies = await say_all(engine, conv, ["My kitchen drain is clogged", "Pat Lee", CHICAGO])
    assert replies[2] == REFUSED_CHICAGO
    assert customers_of(sandbox_state, "5551230009") == []  # refused before any record
    replies = await say_all(engine, conv, ["Ask the office to call me please", "no"])
    assert replies[0].startswith("Thanks, I've passed that on")
    assert len(sandbox_state.all("jobs")) == jobs_before
    (lead,) = sandbox_state.all("leads")
    assert "outside the service area: Chicago" in lead["note"]
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.outcome == "message"  # waiting for the office
    assert stored.state["out_of_area"] == "Chicago"


async def test_guided_books_in_area_by_settings_city(
    make_engine: EngineFactory, business: Settings, sandbox_state: SandboxState
) -> None:
    refuse_zones(sandbox_state)  # the settings alone decide
    engine = make_engine(settings=business.model_copy(update={"service_area": ("chatham",)}))
    conv = await open_call(engine, "+15551230010")
    replies = await say_all(
        engine,
        conv,
        ["My kitchen drain is clogged", "Jane Doe", "12 Birch Drive, Chatham, IL 62629", "first"],
    )
    assert replies[3].startswith("Just to confirm: Drain cleaning at 12 Birch Drive, Chatham")
    assert (await talk(engine, conv, "yes"))[0].startswith("You're booked")
    (jane,) = customers_of(sandbox_state, "5551230010")
    assert len(jobs_of(sandbox_state, jane["id"])) == 1


async def test_settings_decide_before_the_zones(
    make_engine: EngineFactory, business: Settings, transport: CountingTransport
) -> None:
    # Chatham is in an HCP zone, but the office's own list says only 62701.
    engine = make_engine(settings=business.model_copy(update={"service_area": ("62701",)}))
    conv = await open_call(engine, "+15551230011")
    replies = await say_all(
        engine, conv, ["My drain is clogged", "Jane Doe", "12 Birch Drive, Chatham, IL 62629"]
    )
    assert replies[2] == f"{guided.OUT_OF_AREA.format(place='Chatham')} {guided.ASK_MESSAGE}"
    assert zone_requests(transport) == 0


async def test_a_known_callers_address_outside_the_area_is_refused_at_availability(
    make_engine: EngineFactory, business: Settings, sandbox_state: SandboxState
) -> None:
    engine = make_engine(settings=business.model_copy(update={"service_area": ("Chatham",)}))
    conv = await open_call(engine, JAMES)
    jobs_before = len(sandbox_state.all("jobs"))
    _, events = await talk(engine, conv, "The furnace needs a tune up")
    reply, events = await talk(engine, conv, "6420 Oak Street")
    assert reply == f"{guided.OUT_OF_AREA.format(place='Springfield')} {guided.ASK_MESSAGE}"
    assert tool_results(events)["check_availability"].result["out_of_area"] is True
    assert len(sandbox_state.all("jobs")) == jobs_before


# -- HCP zones --------------------------------------------------------------------------------


async def test_zones_are_fetched_once_and_cached(
    make_engine: EngineFactory, transport: CountingTransport, sandbox_state: SandboxState
) -> None:
    engine = make_engine()
    for n, address in enumerate((CHICAGO, "5 Elm Street, Rochester, IL 62563")):
        conv = await open_call(engine, f"+1555123002{n}", external_id=f"CA-z{n}")
        replies = await say_all(engine, conv, ["My drain is clogged", "Pat Lee", address])
        assert (replies[2] == REFUSED_CHICAGO) is (n == 0)
    assert len(customers_of(sandbox_state, "5551230021")) == 1  # Rochester was served
    assert zone_requests(transport) == 1


async def test_zones_refused_means_allowed_when_settings_are_empty(
    make_engine: EngineFactory, sandbox_state: SandboxState, transport: CountingTransport
) -> None:
    refuse_zones(sandbox_state)
    engine = make_engine()
    conv = await open_call(engine, "+15551230030")
    replies = await say_all(engine, conv, ["My drain is clogged", "Pat Lee", CHICAGO, "first"])
    assert replies[3].startswith("Just to confirm: Drain cleaning at 9 Lake Shore Drive, Chicago")
    assert (await talk(engine, conv, "yes"))[0].startswith("You're booked")
    (pat,) = customers_of(sandbox_state, "5551230030")
    assert len(jobs_of(sandbox_state, pat["id"])) == 1
    conv2 = await open_call(engine, "+15551230031", external_id="CA-area-2")
    await say_all(engine, conv2, ["My drain is clogged", "Sam Lee", CHICAGO])
    assert zone_requests(transport) == 1  # "no zones" is cached too


async def test_zones_refused_falls_back_to_settings(
    make_engine: EngineFactory, business: Settings, sandbox_state: SandboxState
) -> None:
    refuse_zones(sandbox_state)
    settings = business.model_copy(update={"service_area": ("Springfield", "Chatham")})
    engine = make_engine(settings=settings)
    conv = await open_call(engine, "+15551230032")
    replies = await say_all(engine, conv, ["My drain is clogged", "Pat Lee", CHICAGO])
    assert replies[2] == REFUSED_CHICAGO


async def test_zones_failing_is_unknown_and_retried(
    make_engine: EngineFactory, faults: Faults, transport: CountingTransport
) -> None:
    faults.replace([FaultRule("server_error", path="^/service_zones")])
    engine = make_engine()
    conv = await open_call(engine, "+15551230033")
    replies = await say_all(engine, conv, ["My drain is clogged", "Pat Lee", CHICAGO])
    assert replies[2].startswith("I have between")  # unknown is allowed
    faults.replace([])
    conv2 = await open_call(engine, "+15551230034", external_id="CA-area-3")
    replies = await say_all(engine, conv2, ["My drain is clogged", "Sam Lee", CHICAGO])
    assert replies[2] == REFUSED_CHICAGO  # a failure is not cached: the zones now answer
    # Two failed checks (new customer, availability), never retried; then one that answers.
    assert zone_requests(transport) == 3


# -- LLM (scripted model) ---------------------------------------------------------------------


async def test_llm_cannot_book_an_out_of_area_address(
    make_engine: EngineFactory, sandbox_state: SandboxState
) -> None:
    model = ScriptedChatModel(
        call("record_problem", {"problem": "clogged drain"}),
        call(
            "find_or_create_customer",
            {
                "first_name": "Pat",
                "last_name": "Lee",
                "street": "9 Lake Shore Drive",
                "city": "Chicago",
                "state": "IL",
                "zip": "60601",
            },
        ),  # fmt: skip
        say("Sorry, we don't serve Chicago. Can I take a message?"),
    )
    engine = make_engine(model)
    conv = await open_call(engine, "+15551230040")
    _, events = await talk(engine, conv, "My drain is clogged, I'm Pat Lee at 9 Lake Shore Drive")
    result = tool_results(events)["find_or_create_customer"].result
    assert result["out_of_area"] is True and result["place"] == "Chicago"
    assert "take_message" in result["next"]
    assert customers_of(sandbox_state, "5551230040") == []
    # A model that ignores the refusal still cannot propose a booking: no customer, no address.
    model.add(call("propose_booking", {"window_id": "w1"}), say("Hmm."))
    _, events = await talk(engine, conv, "Book it anyway")
    assert tool_results(events)["propose_booking"].error is not None


async def test_a_confirmed_booking_is_refused_when_the_area_changes_mid_call(
    make_engine: EngineFactory, business: Settings, sandbox_state: SandboxState
) -> None:
    """The office narrows the area while a caller is at the read-back: book_job refuses."""
    model = ScriptedChatModel(
        calls(
            ("verify_caller", {"street_address": "6420 Oak Street"}),
            ("record_problem", {"problem": "furnace tune up"}),
        ),
        call("check_availability"),
        say("I have some times."),
        call("propose_booking", {"window_id": "w1"}),
        say("Shall I book that?"),
        call("book_job"),
        say("Sorry, we don't serve Springfield."),
    )
    open_engine = make_engine(model)
    narrowed = make_engine(model, settings=business.model_copy(update={"service_area": ("62629",)}))
    conv = await open_call(open_engine, JAMES)
    await talk(open_engine, conv, "It's 6420 Oak Street, I need a tune up")
    _, events = await talk(open_engine, conv, "The first one")
    assert tool_results(events)["propose_booking"].error is None
    jobs_before = len(sandbox_state.all("jobs"))
    _, events = await talk(narrowed, conv, "Yes")
    result = tool_results(events)["book_job"].result
    assert result["out_of_area"] is True and result["place"] == "Springfield"
    assert len(sandbox_state.all("jobs")) == jobs_before


@pytest.mark.parametrize(
    ("said", "city", "state", "zip"),
    [
        ("12 Elm St, Springfield IL 62704", "Springfield", "IL", "62704"),
        ("12 Elm St, springfield il 62704", "springfield", "IL", "62704"),
        ("12 Elm St, Austin TX", "Austin", "TX", None),
        ("12 Elm St, Austin 78701", "Austin", None, "78701"),
        ("12 Elm St, Round Rock", "Round Rock", None, None),
        ("12 Oak St, Springfield, IL 62701", "Springfield", "IL", "62701"),
    ],
)
def test_city_state_and_zip_are_split_when_said_without_commas(
    said: str, city: str, state: str | None, zip: str | None
) -> None:
    from voice_agent.tools.common import split_address

    fields = split_address(said, None, None, None)
    assert (fields["city"], fields["state"], fields["zip"]) == (city, state, zip)


async def test_guided_books_an_in_area_address_said_without_commas(
    make_engine: EngineFactory, sandbox_state: SandboxState
) -> None:
    engine = make_engine(GuidedIntakeModel())
    conv = await open_call(engine, "+15551230031")
    jobs_before = len(sandbox_state.all("jobs"))
    lines = ["My kitchen drain is clogged", "Jane Doe", "12 Elm St, Springfield IL 62704"]
    await say_all(engine, conv, [*lines, "first", "yes"])
    assert len(sandbox_state.all("jobs")) == jobs_before + 1

"""Fixtures for the Twilio voice channel: signed Twilio-shaped calls against the real app."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hcp.sandbox import SandboxState, seed_demo_company
from voice_agent.app import create_app
from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.engine.events import EndConversation, Event, TextDelta, ToolStarted, Transfer
from voice_agent.services import SANDBOX_FILE, build_services
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore, open_store, upgrade
from voice_agent.storage.base import Conversation, NewConversation

TOKEN = "test-twilio-token-not-real"
PUBLIC = "https://voice.example.test"
CALLER = "+12125550100"
BUSINESS = "+12125550199"
STAFF = "+13125550177"
OFFICE = "+13125550100"


@dataclass
class Started:
    conversation: Conversation
    greeting: str
    created: bool


Script = Callable[[str], list[Event]]


def default_script(text: str) -> list[Event]:
    """A tiny scripted agent: echoes, transfers on "person", ends on "bye"."""
    lowered = text.lower()
    if "person" in lowered:
        return [TextDelta("Connecting you to the office."), Transfer(OFFICE, "asked for a person")]
    if "bye" in lowered:
        return [TextDelta("Thanks for calling, goodbye."), EndConversation("caller said goodbye")]
    if "book" in lowered:
        return [ToolStarted("list_booking_windows", {}), TextDelta("Shall I book Tuesday 8 to 10?")]
    return [TextDelta(f"You said: {text}.")]


@dataclass
class FakeEngine:
    """The engine's voice-facing surface with a script, a gate and a record of real runs."""

    store: SqlStore
    script: Script = default_script
    runs: list[tuple[str, str, str | None]] = field(default_factory=list)
    replays: dict[str, list[Event]] = field(default_factory=dict)
    gate: asyncio.Event | None = None
    fail: bool = False
    start_delay: asyncio.Event | None = None

    async def start(self, new: NewConversation) -> Started:
        conversation, created = await self.store.create_conversation(new)
        if self.start_delay is not None:
            await self.start_delay.wait()
        notice = " This is a test call." if new.test_mode else ""
        return Started(conversation, f"Hi there, thanks for calling.{notice}", created)

    async def respond(
        self, conversation_id: str, user_text: str, *, turn_key: str | None = None
    ) -> AsyncIterator[Event]:
        if turn_key is not None and turn_key in self.replays:
            for event in self.replays[turn_key]:
                yield event
            return
        self.runs.append((conversation_id, user_text, turn_key))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("engine exploded")
        events = self.script(user_text)
        if turn_key is not None:
            self.replays[turn_key] = events
        for event in events:
            yield event


def voice_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for voice tests: a Twilio token, a public URL, an office and a staff number."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "twilio_auth_token": TOKEN,
        "twilio_phone_number": BUSINESS,
        "public_base_url": PUBLIC,
        "office_number": OFFICE,
        "test_numbers": STAFF,
        "filler_after_seconds": 2.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


QUICK = 0.05  # silence budget for tests that need the filler path (their engine is gated)


@pytest.fixture
def vsettings(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Voice settings (the shared `settings` fixture clears the environment first).

    Parametrize indirectly with a number to set FILLER_AFTER_SECONDS.
    """
    budget = getattr(request, "param", 2.0)
    return voice_settings(tmp_path, filler_after_seconds=budget)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A migrated database and a seeded HCP sandbox, made once and copied into each test."""
    folder = tmp_path_factory.mktemp("voice-templates")
    database = folder / "voice.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{database}"))
    sandbox = folder / SANDBOX_FILE
    state = SandboxState.open(sandbox)
    seed_demo_company(state)
    state.close()
    return database, sandbox


@pytest.fixture
async def store(tmp_path: Path, templates: tuple[Path, Path]) -> AsyncIterator[SqlStore]:
    """A fresh migrated SQLite store; the test's data directory also gets a seeded sandbox."""
    database, sandbox = templates
    shutil.copy(database, tmp_path / "voice.db")
    shutil.copy(sandbox, tmp_path / SANDBOX_FILE)
    opened = open_store(f"sqlite+aiosqlite:///{tmp_path / 'voice.db'}")
    yield opened
    await opened.close()


@pytest.fixture
def engine(store: SqlStore) -> FakeEngine:
    return FakeEngine(store)


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@asynccontextmanager
async def serving(
    settings: Settings, store: SqlStore, engine: Any = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on `store`, with the real engine or `engine`, as a client; closes everything."""
    services = build_services(settings, store)
    if engine is not None:
        services.engine = engine
    try:
        async with running_app(create_app(settings, services)) as client:
            yield client
    finally:
        await services.aclose()


@pytest.fixture
async def client(
    vsettings: Settings, store: SqlStore, engine: FakeEngine
) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(vsettings, store, engine) as c:
        yield c


@pytest.fixture
def call(client: httpx.AsyncClient) -> Callable[..., SimulatedCall]:
    def make(**kwargs: Any) -> SimulatedCall:
        return SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _no_shutdown_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turns still gated at teardown are cancelled at once instead of awaited."""
    monkeypatch.setattr("voice_agent.channels.voice_turns.SHUTDOWN_GRACE_SECONDS", 0)


async def follow_up(client: httpx.AsyncClient) -> None:
    """Run the "call_ended" jobs the status callback queued (the app's scheduler is off here)."""
    from voice_agent.channels.voice_followup import run_call_follow_ups

    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    await run_call_follow_ups(app.state.runtime.voice)


def signed(url: str, params: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    """The `X-Twilio-Signature` header Twilio would send for `url` and `params`."""
    from twilio.request_validator import RequestValidator

    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}

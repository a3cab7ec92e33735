"""The owner's pages in headless Chromium at phone (390 px) and desktop (1280 px) width:
run the scenario set and watch results arrive, open a run's transcript, make a test from a
call, filter the calls list to unbooked calls, and play a recording through the server."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr

from voice_agent.settings import Settings
from voice_agent.storage import open_store, upgrade
from voice_agent.storage.base import NewConversation, Recording
from voice_agent.testing.fake_twilio import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeTwilioServer

from .conftest import ADMIN_PASSWORD, MASTER_KEY
from .test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _serve

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
WIDTHS = [390, 1280]
RECORDING = "RE" + "b" * 32


def tone_wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A short silent WAV Chromium can decode (served as the recording's audio)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


class FakeTwilioThread:
    """`FakeTwilioServer` on its own thread and loop (the browser test is synchronous)."""

    def __init__(self) -> None:
        self.fake = FakeTwilioServer()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            async with self.fake:
                self._ready.set()
                await self._stop.wait()

        self._loop.run_until_complete(main())
        self._loop.close()

    def __enter__(self) -> FakeServer:
        self._thread.start()
        assert self._ready.wait(10)
        return FakeServer(self.fake)

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@dataclass
class FakeServer:
    fake: FakeTwilioServer


@dataclass
class Owner:
    url: str
    conversations: dict[str, str]


async def _seed(database_url: str, recording_url: str) -> dict[str, str]:
    store = open_store(database_url)
    made: dict[str, str] = {}
    try:
        for key, outcome in (
            ("booked", "booked"),
            ("outside", "out_of_area"),
            ("full", "no_capacity"),
        ):
            new = NewConversation(channel="voice", external_id=f"CA{key}", caller="+12125550123")
            conversation, _ = await store.create_conversation(new)
            await store.add_turn(conversation.id, 1, "caller", f"{key}: my sink is clogged")
            await store.update_conversation(conversation.id, outcome=outcome, status="completed")
            made[key] = conversation.id
        await store.record_recording(
            Recording(
                sid=RECORDING,
                conversation_id=made["booked"],
                call_sid="CAbooked",
                status="completed",
                media_url=recording_url,
                duration_seconds=1,
                channels=2,
                source="StartCallRecordingTwiML",
                created_at=datetime.now(UTC),
            )
        )
    finally:
        await store.close()
    return made


@pytest.fixture
def twilio() -> Iterator[FakeServer]:
    with FakeTwilioThread() as server:
        yield server


@pytest.fixture
def owner(settings: Settings, twilio: FakeServer) -> Iterator[Owner]:
    web = settings.model_copy(
        update={
            "admin_password": SecretStr(ADMIN_PASSWORD),
            "voice_agent_master_key": SecretStr(MASTER_KEY),
            "on_call_number": "+13125550111",
            "office_number": "+13125550100",
            "call_recording": True,
            "twilio_account_sid": FAKE_ACCOUNT_SID,
            "twilio_auth_token": SecretStr(FAKE_AUTH_TOKEN),
            "twilio_api_base_url": twilio.fake.base_url,
        }
    )
    asyncio.run(upgrade(web.effective_database_url))
    url = twilio.fake.add_recording(RECORDING, tone_wav())
    made = asyncio.run(_seed(web.effective_database_url, url))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    ready: dict[str, object] = {}
    thread = threading.Thread(target=_serve, args=(web, sock, ready), daemon=True)
    thread.start()
    try:
        yield Owner(f"http://127.0.0.1:{sock.getsockname()[1]}", made)
    finally:
        server = ready.get("server")
        if isinstance(server, uvicorn.Server):
            server.should_exit = True
        thread.join(timeout=20)
        sock.close()


def _no_sideways_scroll(p: Any) -> None:
    """Nothing in the page's content reaches past the viewport (the header is the layout's)."""
    wide = p.evaluate(
        """() => [...document.querySelectorAll('main, main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"""
    )
    assert not wide, f"wider than the screen: {wide}"


@pytest.mark.parametrize("width", WIDTHS)
def test_owner_pages_in_chromium(owner: Owner, width: int) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM} (make browser)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=owner.url, viewport={"width": width, "height": 900})
        context.set_default_timeout(30_000)
        p = context.new_page()
        errors: list[str] = []
        p.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            _walk(p, owner, width)
        finally:
            browser.close()
        assert not errors, errors


def _walk(p: Any, owner: Owner, width: int) -> None:
    p.goto("/scenarios")
    p.fill("input[name=password]", ADMIN_PASSWORD)
    p.click("button[type=submit]")
    p.wait_for_selector("#scenario-list")
    assert "New caller books a furnace repair" in p.inner_text("#scenario-list")
    _no_sideways_scroll(p)

    p.click("#run-scenarios")  # results arrive on the page as each call finishes
    p.wait_for_selector("#run-results")
    assert p.locator("#run-results tbody tr").count() == 7
    p.wait_for_selector("#run-status[data-status=finished]", timeout=60_000)
    assert p.locator("#run-results tr.pending").count() == 0
    verdicts = p.locator("#run-results span.verdict").all_inner_texts()
    assert [v.lower() for v in verdicts] == ["pass"] * 7, p.inner_text("#run-results")
    _no_sideways_scroll(p)
    p.screenshot(path=str(ARTIFACTS / f"scenario-run-{width}.png"), full_page=True)

    p.click("#run-results a:has-text('Caller outside the service area')")
    p.wait_for_selector("#transcript")
    assert "400 Lake Shore Drive" in p.inner_text("#transcript")
    assert p.inner_text("#outcome") == "out_of_area"
    _no_sideways_scroll(p)

    p.goto("/?outcome=unbooked")
    listing = p.inner_text("#calls")
    assert "unbooked: address outside the service area" in listing
    assert "unbooked: no free arrival window" in listing
    assert p.locator(f"a[href='/calls/{owner.conversations['booked']}']").count() == 0
    _no_sideways_scroll(p)
    p.screenshot(path=str(ARTIFACTS / f"unbooked-{width}.png"), full_page=True)

    p.goto(f"/calls/{owner.conversations['booked']}")
    p.wait_for_selector("#recordings audio")
    duration = p.evaluate(
        """() => new Promise((resolve, reject) => {
            const audio = document.querySelector('#recordings audio');
            audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
            audio.addEventListener('error', () => reject(new Error('audio did not load')));
            audio.load();
        })"""
    )
    assert 0.4 < duration < 0.6
    assert FAKE_AUTH_TOKEN not in p.content()
    _no_sideways_scroll(p)

    p.click("#make-test")
    p.wait_for_selector("#scenario-text")
    text = p.input_value("#scenario-text")
    assert "booked: my sink is clogged" in text and "outcome: booked" in text
    p.fill("#scenario-text", text.replace("Replay of", f"Sink replay {width} of"))
    p.click("#save-scenario")
    p.wait_for_selector("#scenario-list")
    assert f"Sink replay {width} of" in p.inner_text("#scenario-list")
    _no_sideways_scroll(p)

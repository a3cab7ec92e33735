"""Every dashboard page in headless Chromium at phone (390×844) and desktop (1280×800) width.

A page fails when the document is wider than the window or any visible element's box reaches
past the window's edges (text cut off-screen) or is cut by its own box. Screenshots go to
test-artifacts/layout-<page>-<width>.png.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from voice_agent.settings import Settings
from voice_agent.storage import open_store, upgrade
from voice_agent.storage.base import NewConversation

from .browser_support import ARTIFACTS, WAIT_MS, chromium, running_server
from .conftest import ADMIN_PASSWORD, MASTER_KEY

pytestmark = pytest.mark.browser

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
LONG_ADDRESS = "12345 North Lakeshore Boulevard Apartment 1402, Springfield Heights, IL 62704-1234"

# Reports what sticks out: the document, and visible elements past either edge or cut by their own
# box (overflow hidden/clip with more content than room). Elements inside a box that scrolls
# sideways on purpose are judged by that box.
OVERFLOW_JS = """
() => {
  const vw = window.innerWidth;
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > vw) problems.push(`document is ${doc.scrollWidth}px wide in ${vw}px`);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim() : '');
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    let scroller = null;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') { scroller = a; break; }
    }
    if (scroller) continue;
    if (box.right > vw + 0.5 || box.left < -0.5) {
      problems.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)}px: ` +
        (el.innerText || '').slice(0, 60));
    }
    const clips = ['hidden', 'clip'].includes(style.overflowX);
    if (clips && el.scrollWidth > el.clientWidth + 1 && (el.innerText || '').trim()) {
      problems.push(`${name(el)} cuts its text: ` + (el.innerText || '').slice(0, 60));
    }
  }
  return problems;
}
"""


@dataclass
class Seeded:
    """Ids of the seeded conversations."""

    voice: str
    sms: str
    write: str


async def _seed(url: str) -> Seeded:
    """A booked call with long content, an SMS thread and a test-line session."""
    store = open_store(url)
    try:
        now = datetime.now(UTC)
        voice, _ = await store.create_conversation(
            NewConversation(channel="voice", external_id="CA" + "1" * 32, caller="+15125550147")
        )
        await store.save_state(
            voice.id,
            {"customer_name": "Alexandria Montgomery-Fitzgerald", "address": LONG_ADDRESS},
            expected_version=voice.version,
        )
        await store.add_turn(voice.id, 0, "agent", "Thanks for calling. How can I help?", {})
        await store.add_turn(
            voice.id, 1, "caller", f"My water heater is leaking all over at {LONG_ADDRESS}", {}
        )
        arguments = {"address": LONG_ADDRESS, "notes": "Leaking-water-heater-" * 8}
        await store.add_tool_call(
            voice.id, 1, "book_job", arguments, {"job_id": "job_" + "a" * 40}, None, 312.0
        )
        await store.add_turn(
            voice.id,
            1,
            "agent",
            "Booked for Tuesday between 8 and 10.",
            {"latency_ms": 640, "prompt_tokens": 1200, "completion_tokens": 60, "cost_usd": 0.0011},
        )
        write, _ = await store.begin_hcp_write(
            voice.id, "create_job", "k1", {"address": LONG_ADDRESS}
        )
        await store.finish_hcp_write(
            write.id, status="done", hcp_id="job_" + "a" * 40, response={"id": "job_" + "a" * 40}
        )
        await store.record_message(
            direction="out",
            from_number="+15125550100",
            to_number="+15125550147",
            body="Bright Oak Home Services: you're booked for Tue 8-10am. Pay at https://example.com/"
            + "x" * 60,
            status="delivered",
            conversation_id=voice.id,
        )
        await store.update_conversation(
            voice.id, status="completed", outcome="booked", ended_at=now, duration_seconds=187
        )
        sms, _ = await store.create_conversation(
            NewConversation(channel="sms", external_id="sms-thread-1", caller="+15125550188")
        )
        await store.add_turn(sms.id, 1, "caller", "Can you come tomorrow?", {})
        await store.update_conversation(
            sms.id, status="completed", outcome="message", ended_at=now - timedelta(hours=1)
        )
        web, _ = await store.create_conversation(
            NewConversation(
                channel="web", external_id="web-1", caller="+15551230001", test_mode=True
            )
        )
        await store.update_conversation(web.id, status="completed", outcome="booked", ended_at=now)
        return Seeded(voice=voice.id, sms=sms.id, write=write.id)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded]]:
    data = tmp_path_factory.mktemp("layout")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        admin_password=SecretStr(ADMIN_PASSWORD),
        voice_agent_master_key=SecretStr(MASTER_KEY),
        public_base_url="https://agent.example.com",
    )
    asyncio.run(upgrade(settings.effective_database_url))
    seeded = asyncio.run(_seed(settings.effective_database_url))
    with running_server(settings) as url:
        yield url, seeded


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _check(page: Any, name: str, width: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{width}.png"), full_page=True)
    problems = page.evaluate(OVERFLOW_JS)
    assert not problems, f"{name} at {width}: " + "; ".join(problems[:8])


def _pages(seeded: Seeded) -> dict[str, str]:
    """Logged-in pages by screenshot name."""
    return {
        "calls": "/",
        "calls-empty-search": "/?q=zzzz&channel=sms",
        "conversation-voice": f"/calls/{seeded.voice}",
        "conversation-sms": f"/calls/{seeded.sms}",
        "hcp-record": f"/calls/{seeded.voice}/hcp/{seeded.write}",
        "setup": "/setup",
        "stats": "/stats?include_test=1",
        "test-line": "/test-line",
        "scenarios": "/scenarios",
        "scenario-new": "/scenarios/new",
        "not-found": "/no-such-page",
        "conversation-not-found": "/calls/no-such-call",
    }


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_fits(site: tuple[str, Seeded], browser: Any, width: str) -> None:
    url, seeded = site
    w, h = WIDTHS[width]
    context = browser.new_context(base_url=url, viewport={"width": w, "height": h})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/login")
        _check(page, "login", width)
        page.goto("/no-such-page")
        assert page.locator("h1").inner_text() == "Page not found"
        _check(page, "not-found-logged-out", width)

        page.goto("/login")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Calls')")
        for name, path in _pages(seeded).items():
            response = page.goto(path)
            assert response is not None
            if "not-found" in name:
                assert response.status == 404
                assert "text/html" in response.headers["content-type"]
            else:
                assert response.status == 200, (name, response.status)
            _check(page, name, width)

        page.goto("/test-line")  # a conversation under way, with the tool log
        page.click("#start")
        page.wait_for_selector("#chat li.agent")
        page.fill("#utterance", f"My furnace is making a loud banging noise at {LONG_ADDRESS}")
        page.click("#send")
        page.wait_for_selector("#status[data-turns='1']")
        page.evaluate(  # a long tool result is logged whole (it used to be cut at 160)
            "logTool({type: 'tool_finished', name: 'long_tool', duration_ms: 3,"
            " result: {notes: 'x'.repeat(400)}})"
        )
        logged = page.locator("#tool-log li").all_inner_texts()
        assert any("x" * 400 + '"}' in line for line in logged), logged
        assert page.locator("#mic svg").count() == 1  # a drawn icon, not an emoji
        assert "🎤" not in page.inner_text("#say-form")
        _check(page, "test-line-in-call", width)

        page.goto("/setup")  # a form posted without its CSRF token: the HTML 403 page
        page.evaluate("document.querySelector('#profile-form input[name=csrf_token]').value='x'")
        page.click("#profile-form button[type=submit]")
        page.wait_for_selector("h1:has-text('Not allowed')")
        _check(page, "forbidden", width)
    finally:
        context.close()
    assert not errors, errors


def test_header_is_one_readable_bar_on_a_phone(site: tuple[str, Seeded], browser: Any) -> None:
    url, _ = site
    context = browser.new_context(base_url=url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Calls')")
        header = page.locator("header.top").bounding_box()
        logout = page.locator("header.top button:has-text('Log out')").bounding_box()
        nav = page.locator("header.top nav").bounding_box()
        assert header and logout and nav
        assert header["height"] <= 110, header  # brand row + nav row at most
        for box in (logout, nav):  # inside the bar, not spilling below it
            assert box["y"] + box["height"] <= header["y"] + header["height"] + 0.5
        colour = page.eval_on_selector(
            "header.top button:has-text('Log out')", "e => getComputedStyle(e).color"
        )
        background = page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor")
        assert colour != background and colour not in ("rgb(107, 116, 128)",), colour
    finally:
        context.close()


def test_the_locked_dashboard_fits(browser: Any, tmp_path: Any) -> None:
    """Before ADMIN_PASSWORD is set: the "dashboard is locked" page at both widths."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    with running_server(settings) as url:
        for width, (w, h) in WIDTHS.items():
            context = browser.new_context(base_url=url, viewport={"width": w, "height": h})
            page = context.new_page()
            try:
                response = page.goto("/")
                assert response is not None and response.status == 503
                assert "ADMIN_PASSWORD" in page.inner_text("main")
                _check(page, "locked", width)
            finally:
                context.close()

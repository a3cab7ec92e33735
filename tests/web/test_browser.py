"""The dashboard in real headless Chromium against the real services (guided intake + sandbox).

Logs in, books a job over the browser test line, finds it in the calls list with its tool
calls and HCP link, changes the business name and hears the agent use it. Screenshots of the
main pages go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from voice_agent.settings import Settings

from .browser_support import (  # noqa: F401 - used by other tests
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT_MS,
    _serve,
    chromium,
    running_server,
)
from .conftest import ADMIN_PASSWORD, MASTER_KEY

pytestmark = pytest.mark.browser

CALLER = "+15557654321"  # not a sandbox customer: the agent treats it as a new caller
MAX_TURNS = 14


@pytest.fixture
def server_url(settings: Settings) -> Iterator[str]:
    """The app on a free 127.0.0.1 port with a dashboard password and a vault key."""
    web = settings.model_copy(
        update={
            "admin_password": SecretStr(ADMIN_PASSWORD),
            "voice_agent_master_key": SecretStr(MASTER_KEY),
        }
    )
    with running_server(web) as url:
        yield url


@pytest.fixture
def page(server_url: str) -> Iterator[object]:
    with chromium() as browser:
        context = browser.new_context(  # type: ignore[attr-defined]
            base_url=server_url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        assert not errors, errors


def _shot(page: object, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _answer(agent: str) -> str:
    """What a caller who wants a plumber says next, given the agent's last line."""
    said = agent.lower()
    if "book that" in said or "shall i" in said or "should i" in said:
        return "Yes, please book it."
    if "works best" in said or "which of those" in said or "which one" in said:
        return "The first one."
    if "first and last name" in said or "your name" in said:
        return "Jamie Rivera"
    if "address" in said:
        return "742 Evergreen Terrace, Springfield, IL 62704"
    if "anything else" in said:
        return "No, that's all, thanks."
    return "My kitchen sink drain is clogged and I need a plumber."


def _say(page: object, text: str, turn: int) -> None:
    if page.is_disabled("#utterance"):  # type: ignore[attr-defined]
        pytest.fail("the call ended early: " + page.inner_text("#chat"))  # type: ignore[attr-defined]
    page.fill("#utterance", text)  # type: ignore[attr-defined]
    page.click("#send")  # type: ignore[attr-defined]
    page.wait_for_selector(f"#status[data-turns='{turn}']")  # type: ignore[attr-defined]


def _start_call(page: object) -> str:
    page.goto("/test-line")  # type: ignore[attr-defined]
    page.fill("#caller", CALLER)  # type: ignore[attr-defined]
    page.click("#start")  # type: ignore[attr-defined]
    page.wait_for_selector("#chat li.agent")  # type: ignore[attr-defined]
    return str(page.inner_text("#chat li.agent"))  # type: ignore[attr-defined]


def test_book_over_the_test_line_and_find_it_in_the_dashboard(page: object) -> None:
    p = page
    p.goto("/")  # type: ignore[attr-defined]
    assert "/login" in p.url  # type: ignore[attr-defined]
    _shot(p, "login")
    p.fill("input[name=password]", ADMIN_PASSWORD)  # type: ignore[attr-defined]
    p.click("button[type=submit]")  # type: ignore[attr-defined]
    p.wait_for_selector("h1:has-text('Calls')")  # type: ignore[attr-defined]

    greeting = _start_call(p)
    assert "Bright Oak Home Services" in greeting
    conversation_id = p.get_attribute("#status", "data-conversation")  # type: ignore[attr-defined]
    watcher = p.context.new_page()  # type: ignore[attr-defined]
    watcher.goto(f"/calls/{conversation_id}")  # the office watching the live call
    assert watcher.locator(".badge.live").count() == 1
    p.bring_to_front()  # type: ignore[attr-defined]  # background tabs poll selectors slowly
    booked = False
    for turn in range(1, MAX_TURNS + 1):
        agent_lines = p.locator("#chat li.agent .text").all_inner_texts()  # type: ignore[attr-defined]
        _say(p, _answer(agent_lines[-1]), turn)
        log = p.inner_text("#tool-log")  # type: ignore[attr-defined]
        if re.search(r"✓ book_job", log):
            booked = True
            break
    _shot(p, "test-line")
    assert booked, p.inner_text("#chat")  # type: ignore[attr-defined]
    # the watcher's page updated itself while the call went on (polling)
    watcher.bring_to_front()
    watcher.wait_for_selector(".tool-name:has-text('book_job')")
    watcher.close()

    p.goto("/")  # type: ignore[attr-defined]
    row = p.locator(f"a[href='/calls/{conversation_id}']")  # type: ignore[attr-defined]
    assert row.count() == 1
    listing = p.inner_text("#calls")  # type: ignore[attr-defined]
    assert "(555) 765-4321" in listing  # staff see the full number, with a tel: link
    assert p.locator("#calls a[href='tel:+15557654321']").count() >= 1  # type: ignore[attr-defined]
    _shot(p, "calls")

    row.click()
    p.wait_for_selector("#transcript")  # type: ignore[attr-defined]
    tools = p.locator(".tool-name").all_inner_texts()  # type: ignore[attr-defined]
    assert "book_job" in tools
    job_row = "#hcp-writes tr:has(code:text-is('create_job'))"
    link = p.locator(f"{job_row} a.hcp-link")  # type: ignore[attr-defined]
    assert link.count() == 1
    _shot(p, "conversation")
    link.click()
    p.wait_for_selector("#hcp-response")  # type: ignore[attr-defined]
    assert '"id": "job_' in p.inner_text("#hcp-response")  # type: ignore[attr-defined]

    p.goto("/setup")  # type: ignore[attr-defined]
    p.fill("input[name=business_name]", "Riverside Plumbing Co")  # type: ignore[attr-defined]
    p.select_option("select[name=call_recording]", "on")  # type: ignore[attr-defined]
    p.fill("textarea[name=intake_questions]", "Drain cleaning: Which drain is it?")  # type: ignore[attr-defined]
    p.fill("input[name=owner_digest_phone]", "(512) 555-0142")  # type: ignore[attr-defined]
    p.click("#profile-form button[type=submit]")  # type: ignore[attr-defined]
    p.wait_for_selector("text=Business profile saved.")  # type: ignore[attr-defined]
    assert p.input_value("select[name=call_recording]") == "on"  # type: ignore[attr-defined]
    assert "555-0142" in p.input_value("input[name=owner_digest_phone]")  # type: ignore[attr-defined]
    assert "Which drain" in p.input_value("textarea[name=intake_questions]")  # type: ignore[attr-defined]
    p.click("#hcp-test")  # type: ignore[attr-defined]
    p.wait_for_selector("#hcp-test-result.ok")  # type: ignore[attr-defined]
    _shot(p, "setup")

    assert "Riverside Plumbing Co" in _start_call(p)

    p.goto("/stats?period=7&include_test=1")  # type: ignore[attr-defined]
    assert int(p.inner_text("#n-calls")) >= 2  # type: ignore[attr-defined]
    _shot(p, "stats")

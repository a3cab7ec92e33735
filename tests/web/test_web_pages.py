"""The dashboard's pages and APIs on a real SQLite store with a scripted engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.web import effective_settings
from voice_agent.web.format import hcp_link, mask_phone
from voice_agent.web.routes_stats import chart, compute
from voice_agent.web.routes_testline import event_json

from .conftest import csrf_of
from .fakes import FakeServices


async def _talk(admin: httpx.AsyncClient, *lines: str, caller: str = "+15551230001") -> str:
    token = csrf_of((await admin.get("/test-line")).text)
    started = await admin.post(
        "/api/test-line/start", json={"caller": caller}, headers={"X-CSRF-Token": token}
    )
    assert started.status_code == 200, started.text
    conversation_id: str = started.json()["conversation_id"]
    for line in lines:
        said = await admin.post(
            f"/api/test-line/{conversation_id}/say",
            json={"text": line},
            headers={"X-CSRF-Token": token},
        )
        assert said.status_code == 200
    return conversation_id


async def test_test_line_streams_events_as_ndjson(admin: httpx.AsyncClient) -> None:
    token = csrf_of((await admin.get("/test-line")).text)
    started = await admin.post(
        "/api/test-line/start", json={"caller": "(555) 123-0001"}, headers={"X-CSRF-Token": token}
    )
    body = started.json()
    assert body["greeting"] == "Thanks for calling Bright Oak Home Services."
    said = await admin.post(
        f"/api/test-line/{body['conversation_id']}/say",
        json={"text": "please book me"},
        headers={"X-CSRF-Token": token},
    )
    assert said.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in said.text.splitlines()]
    assert [e["type"] for e in events] == ["tool_started", "tool_finished", "text", "done"]
    assert events[0] == {
        "type": "tool_started",
        "name": "book_job",
        "arguments": {"window_id": "w1"},
    }
    assert events[1]["result"] == {"job_id": "job_abc123"}


async def test_test_line_is_always_test_mode_on_the_web_channel(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    conversation_id = await _talk(admin)
    conversation = await services.store.get_conversation(conversation_id)
    assert conversation is not None
    assert conversation.test_mode and conversation.channel == "web"
    assert conversation.caller == "+15551230001"


async def test_test_line_refuses_bad_callers_and_phone_calls(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    token = csrf_of((await admin.get("/test-line")).text)
    headers = {"X-CSRF-Token": token}
    bad = await admin.post("/api/test-line/start", json={"caller": "12"}, headers=headers)
    assert bad.status_code == 422
    dry = await admin.post(
        "/api/test-line/start", json={"caller": "+15551230001", "mode": "dry-run"}, headers=headers
    )
    assert dry.status_code == 409  # no real HCP key configured
    call, _ = await services.store.create_conversation(
        NewConversation(channel="voice", external_id="CA1", caller="+15551230002")
    )
    hijack = await admin.post(f"/api/test-line/{call.id}/say", json={"text": "hi"}, headers=headers)
    assert hijack.status_code == 404
    too_long = await admin.post(
        f"/api/test-line/{call.id}/say", json={"text": "x" * 5000}, headers=headers
    )
    assert too_long.status_code == 422
    assert services.engine.turns == []


async def test_calls_list_shows_the_conversation_with_outcome_and_badge(
    admin: httpx.AsyncClient,
) -> None:
    conversation_id = await _talk(admin, "book me please")
    listing = (await admin.get("/")).text
    assert f"/calls/{conversation_id}" in listing
    assert "(555) 123-0001" in listing
    assert "o-booked" in listing and 'class="badge test"' in listing
    assert f"/calls/{conversation_id}" in (await admin.get("/?outcome=booked&test=only")).text
    assert f"/calls/{conversation_id}" not in (await admin.get("/?test=exclude")).text
    assert f"/calls/{conversation_id}" not in (await admin.get("/?channel=voice")).text
    assert f"/calls/{conversation_id}" in (await admin.get("/?q=0001")).text
    assert f"/calls/{conversation_id}" not in (await admin.get("/?q=9999")).text


async def test_conversation_page_shows_transcript_tools_writes_and_costs(
    admin: httpx.AsyncClient,
) -> None:
    conversation_id = await _talk(admin, "hello", "book me please")
    page = (await admin.get(f"/calls/{conversation_id}")).text
    order = [
        page.index("Thanks for calling"),
        page.index("You said: hello"),
        page.index("book me please"),
        page.index('class="tool-name">book_job'),
        page.index("booked for Tuesday"),
    ]
    assert order == sorted(order)
    assert "&#34;window_id&#34;: &#34;w1&#34;" in page or '"window_id": "w1"' in page
    assert f'href="/calls/{conversation_id}/hcp/' in page  # sandbox link into the dashboard
    assert "420 ms" in page and "900+40 tokens" in page
    assert "1800 in / 80 out" in page and "$0.0024" in page
    live = await admin.get(f"/calls/{conversation_id}/live")
    assert live.headers["x-conversation-status"] == "active"
    assert "<html" not in live.text and "book_job" in live.text


async def test_sandbox_record_page_shows_hcp_answer(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    conversation_id = await _talk(admin, "book it")
    (write,) = await services.store.list_hcp_writes(conversation_id)
    page = await admin.get(f"/calls/{conversation_id}/hcp/{write.id}")
    assert page.status_code == 200 and "job_abc123" in page.text
    assert (await admin.get(f"/calls/{conversation_id}/hcp/nope")).status_code == 404
    assert (await admin.get("/calls/nope")).status_code == 404


def test_hcp_links_point_at_hcp_for_real_accounts() -> None:
    from voice_agent.storage.base import HcpWrite

    now = datetime.now(UTC)
    write = HcpWrite("w1", "c1", "create_job", "k", {}, "done", "job_9", {}, None, now, now)
    assert hcp_link(write, sandbox=False) == "https://pro.housecallpro.com/app/jobs/job_9"
    assert hcp_link(write, sandbox=True) == "/calls/c1/hcp/w1"
    customer = HcpWrite("w2", "c1", "create_customer", "k", {}, "done", "cus_1", {}, None, now, now)
    assert hcp_link(customer, sandbox=False) == "https://pro.housecallpro.com/app/customers/cus_1"
    pending = HcpWrite("w3", "c1", "create_job", "k", {}, "pending", None, None, None, now, now)
    assert hcp_link(pending, sandbox=False) is None


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+15551230001", "•••-•••-0001"),
        ("", "unknown"),
        (None, "unknown"),
        ("+44 20 7946 0958", "•••-•••-0958"),
    ],
)
def test_mask_phone(raw: str | None, masked: str) -> None:
    assert mask_phone(raw) == masked


async def test_stats_count_calls_bookings_silence_and_cost(
    admin: httpx.AsyncClient, services: FakeServices, web_settings: Settings
) -> None:
    await _talk(admin, "book me please")
    await _talk(admin, "just a question")
    sms, _ = await services.store.create_conversation(
        NewConversation(channel="sms", external_id="thread", caller="+15551230003")
    )
    rows = await services.store.list_conversations()
    since = datetime.now(UTC) - timedelta(days=7)
    numbers = await compute(services.store, rows, zone=web_settings.zone, since=since, days=7)
    assert (numbers.calls, numbers.bookings, numbers.sms_threads) == (2, 1, 1)
    assert numbers.booking_rate == 0.5
    assert numbers.mean_silence_ms == pytest.approx((5 + 420 + 5 + 420) / 4)
    assert numbers.cost_per_call == pytest.approx(0.0012)
    assert sum(day[0] for day in numbers.per_day.values()) == 2
    bars = chart(numbers.per_day)["bars"]
    assert len(bars) == 8 and max(b["h"] for b in bars) == 140
    page = (await admin.get("/stats?period=7&include_test=1")).text
    assert '<b id="n-calls">2</b>' in page and '<b id="n-rate">50%</b>' in page
    assert "<svg" in page and "<rect" in page
    live_only = (await admin.get("/stats?period=7")).text
    assert '<b id="n-calls">0</b>' in live_only  # test-line calls are excluded by default


async def test_profile_saves_validates_and_overrides_settings(
    admin: httpx.AsyncClient, services: FakeServices, web_settings: Settings
) -> None:
    token = csrf_of((await admin.get("/setup")).text)
    bad = await admin.post(
        "/setup/profile",
        data={"csrf_token": token, "business_timezone": "Mars/Olympus", "on_call_number": "12"},
    )
    assert bad.status_code == 400
    assert "business_timezone" in bad.text and "on_call_number" in bad.text
    assert await services.store.get_setting("business_timezone") is None
    good = await admin.post(
        "/setup/profile",
        data={
            "csrf_token": token,
            "business_name": "Acme Plumbing",
            "business_hours": "mon-sat 07:00-19:00",
            "service_area": "Austin, Round Rock",
            "on_call_number": "(512) 555-0199",
            "emergency_policy": "Gas: leave the house first.",
        },
    )
    assert good.status_code == 303
    effective = await effective_settings(web_settings, services.store)
    assert effective.business_name == "Acme Plumbing"
    assert effective.service_area == ("Austin", "Round Rock")
    assert effective.on_call_number == "+15125550199"
    assert effective.booking_tag == web_settings.booking_tag  # blank = environment's value
    setup = (await admin.get("/setup?saved=profile")).text
    assert 'value="Acme Plumbing"' in setup and "Gas: leave the house first." in setup


async def test_receptionist_and_digest_settings_save_and_switch_off(
    admin: httpx.AsyncClient, services: FakeServices, web_settings: Settings
) -> None:
    token = csrf_of((await admin.get("/setup")).text)
    bad = await admin.post(
        "/setup/profile",
        data={
            "csrf_token": token,
            "intake_questions": "Drain cleaning: a? | b? | c? | d?",
            "owner_digest_time": "6pm",
            "owner_digest_email": "owner-at-example",
        },
    )
    assert bad.status_code == 400
    for name in ("intake_questions", "owner_digest_time", "owner_digest_email"):
        assert name in bad.text
    good = await admin.post(
        "/setup/profile",
        data={
            "csrf_token": token,
            "disclosure_enabled": "off",
            "call_recording": "on",
            "intake_questions": "Drain cleaning: Which drain is it? | Is it backing up?",
            "spanish_enabled": "off",
            "owner_digest_phone": "(512) 555-0142",
            "owner_digest_time": "19:30",
            "owner_digest_period": "weekly",
        },
    )
    assert good.status_code == 303
    effective = await effective_settings(web_settings, services.store)
    assert effective.disclosure_enabled is False and web_settings.disclosure_enabled is True
    assert effective.call_recording is True and effective.spanish_enabled is False
    assert effective.intake_questions_by_type == {
        "drain cleaning": ("Which drain is it?", "Is it backing up?")
    }
    assert effective.owner_digest_phone == "+15125550142"
    assert effective.owner_digest_period == "weekly" and effective.owner_digest_time == "19:30"
    setup = (await admin.get("/setup?saved=profile")).text
    assert '<option value="off" selected>' in setup  # disclosure / Spanish show their saved state
    assert "Which drain is it? | Is it backing up?" in setup


async def test_effective_settings_skips_a_bad_stored_value(
    services: FakeServices, web_settings: Settings
) -> None:
    await services.store.set_setting("business_name", "Acme")
    await services.store.set_setting("business_timezone", "Not/AZone")
    await services.store.set_setting("admin_password", "injected")  # not editable: ignored
    effective = await effective_settings(web_settings, services.store)
    assert effective.business_name == "Acme"
    assert effective.business_timezone == web_settings.business_timezone
    assert effective.admin_password == web_settings.admin_password


async def test_setup_shows_webhook_urls_health_and_test_numbers(
    app: object, admin: httpx.AsyncClient, web_settings: Settings
) -> None:
    page = (await admin.get("/setup")).text
    assert "PUBLIC_BASE_URL" in page and "sandbox (embedded default)" in page
    from pydantic import AnyHttpUrl

    app.state.settings = web_settings.model_copy(  # type: ignore[attr-defined]
        update={"public_base_url": AnyHttpUrl("https://ops.example.com/")}
    )
    page = (await admin.get("/setup")).text
    for path in ("/twilio/voice", "/twilio/voice/status", "/twilio/sms"):
        assert f"<code>https://ops.example.com{path}</code>" in page


async def test_created_user_can_log_in(admin: httpx.AsyncClient, app: object) -> None:
    from .conftest import login

    token = csrf_of((await admin.get("/setup")).text)
    short = await admin.post(
        "/setup/users", data={"csrf_token": token, "username": "office", "password": "short"}
    )
    assert short.status_code == 400
    admin_name = await admin.post(
        "/setup/users",
        data={"csrf_token": token, "username": "admin", "password": "long-password-1"},
    )
    assert admin_name.status_code == 400
    ok = await admin.post(
        "/setup/users",
        data={"csrf_token": token, "username": "office", "password": "long-password-1"},
    )
    assert ok.status_code == 303
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await login(other, "office", "wrong-password")).status_code == 401
        assert (await login(other, "office", "long-password-1")).status_code == 303
        assert "office" in (await other.get("/setup")).text


def test_event_json_covers_every_event_type() -> None:
    from voice_agent.engine import events

    samples = [
        events.TextDelta("hi"),
        events.ToolStarted("t", {}),
        events.ToolFinished("t", 1, None, 2.0),
        events.Transfer("+15551230000", "asked"),
        events.EndConversation("bye"),
        events.FallbackTaken("llm timeout"),
    ]
    types = [event_json(e)["type"] for e in samples]
    assert types == ["text", "tool_started", "tool_finished", "transfer", "end", "fallback"]


async def test_a_saved_profile_reaches_the_agent(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    token = csrf_of((await admin.get("/setup")).text)
    saved = await admin.post(
        "/setup/profile", data={"csrf_token": token, "business_name": "Acme Plumbing"}
    )
    assert saved.status_code == 303
    assert services.engine.settings.business_name == "Acme Plumbing"
    started = await admin.post(
        "/api/test-line/start", json={"caller": "+15551230001"}, headers={"X-CSRF-Token": token}
    )
    assert started.json()["greeting"] == "Thanks for calling Acme Plumbing."


async def test_a_worker_that_missed_the_save_catches_up_on_the_next_call(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    await services.store.set_setting("business_name", "Saved Elsewhere Ltd")  # another worker
    token = csrf_of((await admin.get("/test-line")).text)
    started = await admin.post(
        "/api/test-line/start", json={"caller": "+15551230001"}, headers={"X-CSRF-Token": token}
    )
    assert started.json()["greeting"] == "Thanks for calling Saved Elsewhere Ltd."


async def test_writes_to_the_live_account_are_not_labelled_sandbox_with_a_vault_key(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    # The HCP key was saved on the Setup page (the vault): the environment names no key, so
    # its components still read "sandbox", but the calls' writes went to the live account.
    from voice_agent.storage.base import NewConversation

    store = services.store
    call, _ = await store.create_conversation(
        NewConversation(channel="voice", external_id="CA-live", caller="+15555550123")
    )
    conversation_id = call.id
    write, _ = await store.begin_hcp_write(conversation_id, "create_job", "k-live", {"w": "1"})
    await store.finish_hcp_write(write.id, status="done", hcp_id="job_9", response={"id": "job_9"})
    services.uses_sandbox = False
    page = (await admin.get(f"/calls/{conversation_id}")).text
    assert "https://pro.housecallpro.com/app/" in page
    assert f'href="/calls/{conversation_id}/hcp/' not in page
    assert 'class="badge test">sandbox' not in page
    record = (await admin.get(f"/calls/{conversation_id}/hcp/{write.id}")).text
    assert "lives in the HCP sandbox" not in record

"""Issue 19: honest pages for the office — error pages, full numbers, filters, numbers, Setup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.web.format import display_phone, phone_link, tel_uri
from voice_agent.web.routes_stats import compute

from .conftest import build_app, csrf_of
from .fakes import FakeServices

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_unknown_page_is_an_html_page_for_a_browser(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/no-such-page", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in response.text and "Log out" in response.text
    missing = await admin.get("/calls/does-not-exist", headers=HTML)
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert '"detail"' not in missing.text


async def test_api_clients_and_webhook_paths_keep_json(admin: httpx.AsyncClient) -> None:
    plain = await admin.get("/no-such-page")  # no Accept: text/html
    assert plain.status_code == 404 and plain.json() == {"detail": "Not Found"}
    api = await admin.get("/api/nothing", headers=HTML)
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    twilio = await admin.post("/twilio/nothing", headers=HTML)
    assert twilio.json() == {"detail": "Not Found"}


async def test_logged_out_browser_gets_the_page_without_the_menu(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/no-such-page", headers=HTML)
    assert response.status_code == 404 and "Page not found" in response.text
    assert "Log out" not in response.text and 'href="/login"' in response.text


async def test_form_without_its_token_gets_an_html_403(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/setup/profile", data={"csrf_token": "wrong", "business_name": "X"}, headers=HTML
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Not allowed" in response.text and "reload the page" in response.text
    api = await admin.post("/api/hcp/test", headers={"X-CSRF-Token": "wrong"})
    assert api.status_code == 403 and api.json()["detail"] == "CSRF token missing or wrong"


async def test_a_crash_is_an_html_500_for_browsers_and_json_for_clients(
    web_settings: Settings, services: FakeServices
) -> None:
    app: FastAPI = build_app(web_settings, services)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail that must not reach the page")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        page = await c.get("/boom", headers=HTML)
        assert page.status_code == 500 and "Something went wrong" in page.text
        assert "secret detail" not in page.text
        api = await c.get("/boom")
        assert api.status_code == 500 and api.json() == {"detail": "Internal Server Error"}


async def test_bad_query_parameter_is_a_page_not_raw_json(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/?page_no=abc", headers=HTML)
    assert response.status_code == 400 and "cannot be read" in response.text


@pytest.mark.parametrize(
    ("raw", "shown", "uri"),
    [
        ("+15125550147", "(512) 555-0147", "tel:+15125550147"),
        ("+442079460958", "+44 20 7946 0958", "tel:+442079460958"),
        ("anonymous", "anonymous", None),
        ("", "unknown", None),
    ],
)
def test_numbers_show_in_full_with_click_to_call(raw: str, shown: str, uri: str | None) -> None:
    assert display_phone(raw) == shown
    assert tel_uri(raw) == uri
    link = str(phone_link(raw))
    assert (f'href="{uri}"' in link) if uri else ("href" not in link)


def test_phone_link_escapes_junk() -> None:
    assert "<script>" not in str(phone_link("<script>alert(1)</script>"))


async def test_staff_see_full_numbers_with_tel_links(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    conversation, _ = await services.store.create_conversation(
        NewConversation(channel="voice", external_id="CA1", caller="+15125550147")
    )
    listing = (await admin.get("/")).text
    assert 'href="tel:+15125550147"' in listing and "(512) 555-0147" in listing
    assert "•••" not in listing
    page = (await admin.get(f"/calls/{conversation.id}")).text
    assert 'href="tel:+15125550147"' in page
    assert 'href="tel:+15125550147"' in (await admin.get("/?q=5550147")).text


async def test_empty_search_names_the_filters_that_matched_nothing(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    await services.store.create_conversation(
        NewConversation(channel="voice", external_id="CA1", caller="+15125550147")
    )
    page = (await admin.get("/?q=zzzz&channel=sms&test=exclude")).text
    assert "No conversations yet" not in page
    assert "Nothing matches search \u201czzzz\u201d, channel sms, live only." in page
    empty = (await admin.get("/", params={"q": ""})).text
    assert "Nothing matches" not in empty


async def test_an_empty_install_still_says_no_conversations_yet(admin: httpx.AsyncClient) -> None:
    assert "No conversations yet" in (await admin.get("/")).text


async def test_numbers_count_only_real_sms_threads_and_label_server_time(
    admin: httpx.AsyncClient, services: FakeServices, web_settings: Settings
) -> None:
    store = services.store
    for channel, key in (("sms", "t1"), ("console", "chat-1"), ("console", "chat-2")):
        await store.create_conversation(
            NewConversation(channel=channel, external_id=key, caller="+15125550147")  # type: ignore[arg-type]
        )
    rows = await store.list_conversations()
    since = datetime.now(UTC) - timedelta(days=7)
    numbers = await compute(store, rows, zone=web_settings.zone, since=since, days=7)
    assert (numbers.sms_threads, numbers.calls) == (1, 0)
    page = (await admin.get("/stats")).text
    assert '<b id="n-sms">1</b>' in page
    assert "measured on the server" in page and "average silence" not in page


async def test_setup_lists_every_twilio_url_including_the_fallback(
    web_settings: Settings, services: FakeServices
) -> None:
    from voice_agent.web.routes_setup import webhook_urls

    urls = webhook_urls(web_settings.model_copy(update={"public_base_url": "https://a.example"}))
    assert sorted(u for u in urls.values() if u) == [
        "https://a.example/twilio/sms",
        "https://a.example/twilio/voice",
        "https://a.example/twilio/voice/fallback",
        "https://a.example/twilio/voice/status",
    ]
    assert any("Fallback URL" in label for label in urls)


async def test_setup_warns_without_an_office_or_on_call_number(
    admin: httpx.AsyncClient,
) -> None:
    page = (await admin.get("/setup")).text
    assert 'id="no-callback-warning"' in page
    token = csrf_of(page)
    saved = await admin.post(
        "/setup/profile", data={"csrf_token": token, "office_number": "(512) 555-0111"}
    )
    assert saved.status_code == 303
    assert 'id="no-callback-warning"' not in (await admin.get("/setup")).text


async def test_setup_explains_the_master_key_when_there_is_none(
    web_settings: Settings, services: FakeServices
) -> None:
    from .conftest import login

    app = build_app(web_settings.model_copy(update={"voice_agent_master_key": None}), services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        await login(c)
        page = (await c.get("/setup")).text
    assert 'id="master-key-help"' in page and "credentials new-master-key" in page
    assert 'id="hcp-key-form"' not in page


async def test_too_many_logins_is_a_page_for_a_browser(client: httpx.AsyncClient) -> None:
    from .conftest import login

    for _ in range(5):
        await login(client, password="wrong")
    form = await client.get("/login")
    token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    blocked = await client.post("/login", data={"password": "x", "csrf_token": token}, headers=HTML)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Too many tries" in blocked.text and "text/html" in blocked.headers["content-type"]

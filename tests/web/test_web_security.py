"""Dashboard security: login everywhere, CSRF, masked numbers, no key leaks, slow brute force."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from pydantic import AnyHttpUrl

from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.web.auth import SESSION_COOKIE, derive_session_key, sign_session

from .conftest import ADMIN_PASSWORD, Clock, build_app, csrf_of, dashboard_routes, login
from .fakes import FakeServices

PUBLIC = {("/login", "GET"), ("/login", "POST"), ("/static/{name}", "GET")}
HCP_KEY = "test-hcp-key-not-real-ABCD9876"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _all_methods(app: FastAPI) -> list[tuple[str, str]]:
    pairs = [(r.path, m) for r in dashboard_routes(app) for m in sorted(r.methods)]
    assert len(pairs) >= 15, pairs  # the walk really found the router's routes
    return pairs


def test_only_login_and_static_are_public(app: FastAPI) -> None:
    from voice_agent.web.guard import GuardedRoute

    unguarded = {
        (r.path, m)
        for r in dashboard_routes(app)
        if not isinstance(r, GuardedRoute)
        for m in r.methods
    }
    assert unguarded == PUBLIC


async def test_every_route_requires_login(app: FastAPI, client: httpx.AsyncClient) -> None:
    for path, method in _all_methods(app):
        if (path, method) in PUBLIC:
            continue
        response = await client.request(method, _concrete(path), data={"csrf_token": "x"})
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login"), (method, path)


async def test_create_app_mounts_the_guarded_dashboard(settings: Settings) -> None:
    from voice_agent.app import create_app

    app = create_app(settings.model_copy(update={"admin_password": None}))
    paths = {r.path for r in dashboard_routes(app)}
    assert {"/", "/login", "/setup", "/test-line", "/stats"} <= paths


async def test_without_admin_password_every_page_says_to_set_it(
    web_settings: Settings, services: FakeServices
) -> None:
    app = build_app(web_settings.model_copy(update={"admin_password": None}), services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path, method in _all_methods(app):
            if path == "/static/{name}":
                continue
            response = await client.request(method, _concrete(path))
            assert response.status_code == 503, (method, path)
            assert "ADMIN_PASSWORD" in response.text


async def test_csrf_is_enforced_on_every_unsafe_route(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    token = csrf_of((await admin.get("/")).text)
    unsafe = [(p, m) for p, m in _all_methods(app) if m != "GET" and (p, m) not in PUBLIC]
    assert unsafe
    for path, method in unsafe:
        for headers, data in (({}, {}), ({"X-CSRF-Token": "wrong"}, {"csrf_token": "wrong"})):
            response = await admin.request(method, _concrete(path), headers=headers, data=data)
            assert response.status_code == 403, (method, path, headers)
    # the right token passes the guard (the route itself then answers)
    ok = await admin.post("/setup/users/delete", data={"csrf_token": token, "username": "nobody"})
    assert ok.status_code == 303


async def test_login_form_needs_its_csrf_cookie(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


async def test_session_cookie_flags(
    web_settings: Settings, services: FakeServices, client: httpx.AsyncClient
) -> None:
    response = await login(client)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    https = web_settings.model_copy(update={"public_base_url": AnyHttpUrl("https://ops.example")})
    app = build_app(https, services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as secure:
        cookie = (await login(secure)).headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_forged_expired_and_stale_sessions_are_refused(
    app: FastAPI, client: httpx.AsyncClient, store: object
) -> None:
    from voice_agent.web.auth import load_install_secret

    secret = await load_install_secret(store)  # type: ignore[arg-type]
    good_key = derive_session_key(ADMIN_PASSWORD, secret)
    cases = {
        "forged": sign_session(b"another-key", "admin"),
        "expired": sign_session(good_key, "admin", now=0),
        "old password": sign_session(derive_session_key("previous-password", secret), "admin"),
        "garbage": "not-a-cookie",
    }
    for name, cookie in cases.items():
        client.cookies.set(SESSION_COOKIE, cookie)
        assert (await client.get("/")).status_code == 303, name
    client.cookies.set(SESSION_COOKIE, sign_session(good_key, "admin"))
    assert (await client.get("/")).status_code == 200


async def test_removed_user_is_logged_out(admin: httpx.AsyncClient, app: FastAPI) -> None:
    token = csrf_of((await admin.get("/setup")).text)
    created = await admin.post(
        "/setup/users",
        data={"csrf_token": token, "username": "dispatch", "password": "long-enough-pw"},
    )
    assert created.status_code == 303
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await login(other, "dispatch", "long-enough-pw")).status_code == 303
        assert (await other.get("/")).status_code == 200
        await admin.post("/setup/users/delete", data={"csrf_token": token, "username": "dispatch"})
        assert (await other.get("/")).status_code == 303


async def test_login_brute_force_is_slowed(client: httpx.AsyncClient, clock: Clock) -> None:
    for _ in range(5):
        assert (await login(client, password="wrong")).status_code == 401
    blocked = await login(client)  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    clock.now += int(blocked.headers["retry-after"]) + 1
    assert (await login(client)).status_code == 303


async def test_login_limit_is_per_client(app: FastAPI, client: httpx.AsyncClient) -> None:
    for _ in range(6):
        await login(client, password="wrong")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await login(other)).status_code == 303


async def test_login_next_is_never_an_open_redirect(client: httpx.AsyncClient) -> None:
    form = await client.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token and "evil" not in form.text
    response = await client.post(
        "/login",
        data={
            "password": ADMIN_PASSWORD,
            "csrf_token": token.group(1),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["location"] == "/"


async def test_phone_numbers_are_shown_to_staff_only(
    client: httpx.AsyncClient, services: FakeServices
) -> None:
    for n in range(3):
        await services.store.create_conversation(
            NewConversation(channel="voice", external_id=f"CA{n}", caller=f"+1512555010{n}")
        )
    await services.store.set_setting("test_numbers", ("+15125550100",))
    for path in ("/", "/test-line", "/?q=0101"):  # logged out: nothing but the login redirect
        response = await client.get(path)
        assert response.status_code == 303 and "555" not in response.text, path
    await login(client)
    listing = (await client.get("/")).text
    assert "(512) 555-0101" in listing and 'href="tel:+15125550101"' in listing
    assert "(512) 555-0101" in (await client.get("/?q=0101")).text  # search by last digits


async def test_hcp_key_never_appears_in_any_response(
    app: FastAPI, admin: httpx.AsyncClient, services: FakeServices
) -> None:
    token = csrf_of((await admin.get("/setup")).text)
    saved = await admin.post("/setup/hcp-key", data={"csrf_token": token, "api_key": HCP_KEY})
    assert saved.status_code == 303
    record = await services.store.get_credential("hcp")
    assert record is not None and HCP_KEY.encode() not in record.ciphertext
    setup = (await admin.get("/setup")).text
    assert "…9876" in setup
    bodies = [setup]
    for path, method in _all_methods(app):
        if method == "GET" and "{" not in path:
            bodies.append((await admin.get(path)).text)
    bodies.append((await admin.post("/api/hcp/test", headers={"X-CSRF-Token": token})).text)
    for body in bodies:
        assert HCP_KEY not in body and HCP_KEY[:-4] not in body


async def test_dashboard_responses_carry_security_headers(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/static/../auth.py", "/static/auth.py", "/static/nope.css"])
async def test_static_serves_only_its_files(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404
    assert (await client.get("/static/app.css")).status_code == 200


async def test_logout_ends_the_session(admin: httpx.AsyncClient) -> None:
    token = csrf_of((await admin.get("/")).text)
    response = await admin.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert (await admin.get("/")).status_code == 303

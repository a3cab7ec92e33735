"""The dashboard on the real services (store, sandbox HCP client, guided-intake engine)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr

from hcp.sandbox import SandboxState, create_sandbox_app, seed_demo_company
from voice_agent.services import Services, build_services
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore

from .conftest import build_app, csrf_of, login

SANDBOX_KEY = "sandbox"  # the key the sandbox app accepts (it plays the real HCP account)


@pytest.fixture
async def real(web_settings: Settings, store: SqlStore) -> AsyncIterator[Services]:
    services = build_services(web_settings, store)
    yield services
    await services.aclose()


@pytest.fixture
async def real_admin(web_settings: Settings, real: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(web_settings, real)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await login(client)).status_code == 303
        yield client


async def test_connection_test_reaches_the_sandbox(real_admin: httpx.AsyncClient) -> None:
    token = csrf_of((await real_admin.get("/setup")).text)
    result = (await real_admin.post("/api/hcp/test", headers={"X-CSRF-Token": token})).json()
    assert result["ok"] is True and result["source"] == "sandbox", result


async def test_the_real_engine_greets_with_the_saved_business_name(
    real_admin: httpx.AsyncClient, real: Services
) -> None:
    token = csrf_of((await real_admin.get("/setup")).text)
    saved = await real_admin.post(
        "/setup/profile", data={"csrf_token": token, "business_name": "Riverside Plumbing Co"}
    )
    assert saved.status_code == 303
    started = await real_admin.post(
        "/api/test-line/start", json={"caller": "+15557654321"}, headers={"X-CSRF-Token": token}
    )
    body = started.json()
    assert "Riverside Plumbing Co" in body["greeting"]
    said = await real_admin.post(
        f"/api/test-line/{body['conversation_id']}/say",
        json={"text": "My kitchen drain is clogged."},
        headers={"X-CSRF-Token": token},
    )
    events = [json.loads(line) for line in said.text.splitlines()]
    assert events[-1] == {"type": "done"}
    assert any(e["type"] == "tool_started" for e in events)
    assert any(e["type"] == "text" and e["text"] for e in events)
    page = (await real_admin.get(f"/calls/{body['conversation_id']}")).text
    assert "My kitchen drain is clogged." in page and 'class="tool-name"' in page


BOOKING = (
    "My kitchen sink drain is clogged and I need a plumber.",
    "Jamie Rivera",
    "742 Evergreen Terrace, Springfield, IL 62704",
    "The first one.",
    "Yes, please book it.",
)


async def _run(
    client: httpx.AsyncClient, mode: str, token: str
) -> tuple[str, list[dict[str, object]]]:
    started = await client.post(
        "/api/test-line/start",
        json={"caller": "+15557654321", "mode": mode},
        headers={"X-CSRF-Token": token},
    )
    assert started.status_code == 200, started.text
    conversation_id: str = started.json()["conversation_id"]
    events: list[dict[str, object]] = []
    for line in BOOKING:
        said = await client.post(
            f"/api/test-line/{conversation_id}/say",
            json={"text": line},
            headers={"X-CSRF-Token": token},
        )
        events += [json.loads(x) for x in said.text.splitlines()]
    return conversation_id, events


@pytest.fixture
def sandbox_state() -> Iterator[SandboxState]:
    state = SandboxState.open(None)
    seed_demo_company(state)
    yield state
    state.close()


async def test_dry_run_reads_hcp_and_sends_no_write(
    web_settings: Settings, store: SqlStore, sandbox_state: SandboxState
) -> None:
    """A real HCP account (played by the sandbox over HTTP) sees reads only."""
    settings = web_settings.model_copy(update={"hcp_api_key": SecretStr(SANDBOX_KEY)})
    customers_before = len(sandbox_state.all("customers"))
    hcp_app = create_sandbox_app(state=sandbox_state, api_key=SANDBOX_KEY)
    services = build_services(settings, store)
    app = build_app(settings, services)
    app.state.runtime.hcp_transport = httpx.ASGITransport(app=hcp_app)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await login(client)).status_code == 303
            token = csrf_of((await client.get("/test-line")).text)
            assert "disabled>Dry-run" not in (await client.get("/test-line")).text
            conversation_id, events = await _run(client, "dry-run", token)
            finished = {e["name"]: e for e in events if e["type"] == "tool_finished"}
            assert finished["check_availability"]["error"] is None  # real reads answered
            assert finished["book_job"]["error"] is None, finished["book_job"]
            writes = await store.list_hcp_writes(conversation_id)
            assert {w.operation for w in writes} >= {"create_customer", "create_job"}
            assert all(w.hcp_id and w.hcp_id.startswith("dryrun_") for w in writes)
            page = (await client.get(f"/calls/{conversation_id}")).text
            assert f'href="/calls/{conversation_id}/hcp/' in page
            assert "pro.housecallpro.com" not in page
    finally:
        await app.state.runtime.aclose()
        await services.aclose()
    assert len(sandbox_state.all("customers")) == customers_before
    assert not any("Rivera" in json.dumps(c) for c in sandbox_state.all("customers"))


async def test_with_real_hcp_the_test_line_still_uses_a_sandbox(
    web_settings: Settings, store: SqlStore
) -> None:
    settings = web_settings.model_copy(update={"hcp_api_key": SecretStr("test-hcp-key-not-real")})
    services = build_services(settings, store)
    app = build_app(settings, services)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await login(client)).status_code == 303
            token = csrf_of((await client.get("/test-line")).text)
            conversation_id, events = await _run(client, "sandbox", token)
            engine = await app.state.runtime.engine("test_line")
            assert engine is not None and engine is not services.engine
            assert any(
                e["type"] == "tool_finished"
                and e["name"] == "check_availability"
                and e["error"] is None
                for e in events
            )
    finally:
        await app.state.runtime.aclose()
        await services.aclose()


async def test_the_saved_profile_reaches_the_engines_at_startup(
    web_settings: Settings, store: SqlStore
) -> None:
    from voice_agent.app import create_app

    await store.set_setting("business_name", "Saved Before Restart LLC")
    services = build_services(web_settings, store)
    app = create_app(web_settings, services=services)
    try:
        async with app.router.lifespan_context(app):
            assert services.engine.settings.business_name == "Saved Before Restart LLC"
            assert app.state.runtime.voice.settings.business_name == "Saved Before Restart LLC"
    finally:
        await services.aclose()

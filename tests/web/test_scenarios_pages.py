"""The Scenarios page over HTTP: run the set, results arrive, transcripts, make-a-test."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hcp.sandbox import SandboxState, create_sandbox_app, seed_demo_company
from voice_agent.scenarios.library import owner_scenarios
from voice_agent.services import build_services
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore
from voice_agent.storage.base import NewConversation

from .conftest import build_app, csrf_of, login

WRONG = """name: Expects a booking for a Chicago caller
caller: {phone: "+12125550177"}
say: [my water heater is leaking, Sam Rivera, "400 Lake Shore Drive, Chicago, IL 60611", no]
expect: {outcome: booked}
"""


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """An owner with on-call and office numbers (the starter set's emergency needs one)."""
    return web_settings.model_copy(
        update={"on_call_number": "+13125550111", "office_number": "+13125550100"}
    )


async def finished(admin: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    for _ in range(600):
        run: dict[str, Any] = (await admin.get(f"/api/scenarios/runs/{run_id}")).json()
        if run["status"] in ("finished", "failed"):
            return run
        await asyncio.sleep(0.1)
    raise AssertionError("the run did not finish")


async def test_run_the_set_and_see_a_failure_for_the_right_reason(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/scenarios")
    assert page.status_code == 200 and "New caller books a furnace repair" in page.text
    token = csrf_of(page.text)

    saved = await admin.post("/scenarios/new", data={"text": WRONG, "csrf_token": token})
    assert saved.status_code == 303
    started = await admin.post("/scenarios/run", data={"csrf_token": token})
    assert started.status_code == 303
    run_id = started.headers["location"].rsplit("/", 1)[-1]

    results_page = await admin.get(f"/scenarios/runs/{run_id}")
    assert 'data-run-poll="/api/scenarios/runs/' in results_page.text
    run = await finished(admin, run_id)
    assert run["status"] == "finished" and run["mode"] == "sandbox"
    by_name = {r["name"]: r for r in run["results"]}
    assert len(by_name) == 8
    wrong = by_name["Expects a booking for a Chicago caller"]
    assert wrong["status"] == "fail"
    assert wrong["reasons"] == ["outcome was out_of_area, expected booked"]
    assert all(r["status"] == "pass" for name, r in by_name.items() if name != wrong["name"]), (
        by_name
    )

    index = run["names"].index(wrong["name"])
    transcript = (await admin.get(f"/scenarios/runs/{run_id}/{index}")).text
    assert "outcome was out_of_area, expected booked" in transcript
    assert "400 Lake Shore Drive" in transcript and "don&#39;t serve" in transcript
    assert (await admin.get(f"/scenarios/runs/{run_id}/99")).status_code == 404
    assert (await admin.get("/api/scenarios/runs/nope")).status_code == 404


async def test_a_bad_scenario_is_shown_back_with_the_reason(
    admin: httpx.AsyncClient, store: SqlStore
) -> None:
    token = csrf_of((await admin.get("/scenarios/new")).text)
    bad = "name: x\nexpect: {outcome: sorta}\n"
    answer = await admin.post("/scenarios/new", data={"text": bad, "csrf_token": token})
    assert answer.status_code == 422
    assert "expect.outcome" in answer.text and "sorta" in answer.text
    assert await owner_scenarios(store) == []


async def test_make_this_a_test_from_a_real_conversation(
    admin: httpx.AsyncClient, store: SqlStore
) -> None:
    new = NewConversation(channel="voice", external_id="CA1", caller="+12125550188")
    conversation, _ = await store.create_conversation(new)
    await store.add_turn(conversation.id, 1, "caller", "my drain is clogged")
    await store.add_turn(conversation.id, 1, "agent", "Can I have your name?")
    await store.add_turn(conversation.id, 2, "caller", "Pat Lee")
    await store.update_conversation(conversation.id, outcome="booked", status="completed")

    page = (await admin.get(f"/calls/{conversation.id}")).text
    assert f'href="/scenarios/new?from={conversation.id}"' in page
    editor = (await admin.get(f"/scenarios/new?from={conversation.id}")).text
    assert "+12125550188" in editor and "my drain is clogged" in editor
    assert "outcome: booked" in editor and "Can I have your name" not in editor
    assert (await admin.get("/scenarios/new?from=nope")).status_code == 404


async def test_with_a_real_account_the_page_runs_in_dry_run_and_writes_nothing(
    web_settings: Settings, store: SqlStore
) -> None:
    """The owner's HCP account (the sandbox over HTTP) is only read by a dashboard run."""
    account = SandboxState.open(None)
    seed_demo_company(account)
    key = "real-account-key-not-real"
    settings = web_settings.model_copy(update={"hcp_api_key": SecretStr(key)})
    before = {c: len(account.all(c)) for c in ("customers", "jobs", "notes")}
    services = build_services(settings, store)
    app = build_app(settings, services)
    app.state.runtime.hcp_transport = httpx.ASGITransport(
        app=create_sandbox_app(state=account, api_key=key)
    )
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await login(client)).status_code == 303
            page = (await client.get("/scenarios")).text
            assert "in dry-run against your Housecall Pro account" in page
            started = await client.post("/scenarios/run", data={"csrf_token": csrf_of(page)})
            run = await finished(client, started.headers["location"].rsplit("/", 1)[-1])
    finally:
        await app.state.dashboard.aclose()
        await app.state.runtime.aclose()
        await services.aclose()
    assert run["status"] == "finished" and run["mode"] == "dry-run"
    by_name = {r["name"]: r for r in run["results"]}
    assert by_name["New caller books a furnace repair"]["status"] == "pass", by_name
    assert {c: len(account.all(c)) for c in before} == before
    account.close()

"""Unit tests of the dashboard's parts: HCP connection test, limiter, turn timing, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr

from voice_agent.dryrun import DryRunTransport, is_dry_run_id
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore
from voice_agent.storage.base import Turn
from voice_agent.web import hcp_probe
from voice_agent.web.auth import (
    LoginLimiter,
    check_hashed,
    hash_password,
    read_session,
    sign_session,
)
from voice_agent.web.format import turn_metas

from .conftest import Clock
from .fakes import FakeServices

ENV_KEY = "test-hcp-key-not-real-env1"


def _hcp(status: int, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status != 200:
            return httpx.Response(status, json={"error": "nope"})
        return httpx.Response(200, json={"id": "co_1", "name": "Acme Plumbing"})

    return httpx.MockTransport(handler)


async def test_probe_uses_the_environment_key_and_reports_hcp_verdict(
    web_settings: Settings, services: FakeServices
) -> None:
    settings = web_settings.model_copy(update={"hcp_api_key": SecretStr(ENV_KEY)})
    seen: list[httpx.Request] = []
    ok = await hcp_probe.probe(services.hcp, settings, services.store, transport=_hcp(200, seen))
    assert ok == {
        "ok": True,
        "source": "environment",
        "message": "Connected to HCP as Acme Plumbing (key from the environment).",
    }
    assert seen[0].url.path == "/company"
    assert seen[0].headers["authorization"] == f"Token {ENV_KEY}"
    refused = await hcp_probe.probe(
        services.hcp, settings, services.store, transport=_hcp(401, seen)
    )
    assert refused["ok"] is False and refused["message"].startswith("HCP refused the key")
    assert ENV_KEY not in str(refused)


async def test_probe_prefers_the_vault_key(web_settings: Settings, services: FakeServices) -> None:
    settings = web_settings.model_copy(update={"hcp_api_key": SecretStr(ENV_KEY)})
    await hcp_probe.store_key(services.store, settings, "test-hcp-key-not-real-vault")
    seen: list[httpx.Request] = []
    result = await hcp_probe.probe(
        services.hcp, settings, services.store, transport=_hcp(200, seen)
    )
    assert result["source"] == "vault"
    assert seen[0].headers["authorization"] == "Token test-hcp-key-not-real-vault"


async def test_probe_without_key_or_sandbox(web_settings: Settings, services: FakeServices) -> None:
    result = await hcp_probe.probe(services.hcp, web_settings, services.store)
    assert result == {
        "ok": False,
        "source": "none",
        "message": "No HCP key and no sandbox running.",
    }


async def test_limiter_counts_per_client_within_the_window(store: SqlStore) -> None:
    clock = Clock()
    limiter = LoginLimiter(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(3):
        assert await limiter.retry_after(store, "a") == 0
        await limiter.failed(store, "a")
    assert await limiter.retry_after(store, "a") == 60
    assert await limiter.retry_after(store, "b") == 0
    clock.now += 30
    assert await limiter.retry_after(store, "a") == 30
    clock.now += 31
    assert await limiter.retry_after(store, "a") == 0
    await limiter.failed(store, "a")
    await limiter.succeeded(store, "a")
    assert await limiter.retry_after(store, "a") == 0


async def test_limiter_is_shared_through_the_store_and_keeps_no_address(store: SqlStore) -> None:
    """Two workers (two limiters) on one store share the count; the address is hashed."""
    clock = Clock()
    first, second = (LoginLimiter(max_failures=4, clock=clock) for _ in range(2))
    for _ in range(2):
        await first.failed(store, "203.0.113.7")
        await second.failed(store, "203.0.113.7")
    assert await first.retry_after(store, "203.0.113.7") > 0
    assert await second.retry_after(store, "203.0.113.7") > 0
    assert await store.list_attempts("login", "203.0.113.7", datetime(1970, 1, 1, tzinfo=UTC)) == []


def test_sessions_and_password_hashes() -> None:
    key = b"k" * 32
    cookie = sign_session(key, "office", now=1000)
    session = read_session(key, cookie, now=1001)
    assert session is not None and session.user == "office" and len(session.csrf) > 20
    body, mac = cookie.split(".")
    assert read_session(key, body + "x." + mac, now=1001) is None
    assert read_session(key, cookie, now=10**10) is None
    record = hash_password("long-password-1")
    assert check_hashed("long-password-1", record)
    assert not check_hashed("long-password-2", record)
    assert not check_hashed("x", {"salt": "zz"})


def test_turn_metas_time_untimed_agent_turns_from_the_store() -> None:
    t0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    turns = [
        Turn("c", 0, "agent", "hi", {}, t0),
        Turn("c", 1, "caller", "book", {}, t0 + timedelta(seconds=3)),
        Turn("c", 1, "agent", "ok", {"mode": "guided"}, t0 + timedelta(seconds=3.25)),
        Turn("c", 2, "caller", "yes", {}, t0 + timedelta(seconds=9)),
        Turn("c", 2, "agent", "done", {"latency_ms": 900}, t0 + timedelta(seconds=12)),
    ]
    metas = turn_metas(turns)
    assert "latency_ms" not in metas[0] and "latency_ms" not in metas[1]
    assert metas[2] == {"mode": "guided", "latency_ms": 250.0}
    assert metas[4]["latency_ms"] == 900  # the engine's own figure wins


async def test_dry_run_transport_forwards_reads_and_answers_writes() -> None:
    forwarded: list[str] = []

    def hcp(request: httpx.Request) -> httpx.Response:
        forwarded.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"job_types": []})

    transport = DryRunTransport(httpx.MockTransport(hcp))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.housecallpro.com") as c:
        assert (await c.get("/job_fields/job_types")).status_code == 200
        made = (
            await c.post(
                "/customers",
                json={"first_name": "Jamie", "addresses": [{"street": "1 Main St"}]},
            )
        ).json()
        assert made["id"].startswith("dryrun_cus_") and made["first_name"] == "Jamie"
        assert made["addresses"][0]["id"].startswith("dryrun_adr_")
        assert (await c.get(f"/customers/{made['id']}")).json() == made
        assert (await c.get("/customers/dryrun_unknown")).status_code == 404
        job = (await c.post("/jobs", json={"customer_id": made["id"], "notes": "a string"})).json()
        assert "notes" not in job  # HCP answers notes as a list: the echo drops what won't parse
        updated = (await c.put("/customers/cus_real1", json={"first_name": "J"})).json()
        assert updated["id"] == "cus_real1"
        assert (await c.delete("/jobs/job_1/appointments/apt_1")).status_code == 204
    assert forwarded == ["GET /job_fields/job_types"]
    assert [w[0] for w in transport.writes] == ["POST", "POST", "PUT", "DELETE"]
    assert is_dry_run_id(job["id"]) and not is_dry_run_id("job_1")

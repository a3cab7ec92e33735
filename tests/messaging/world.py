"""An end-to-end rig: the HCP sandbox emitting signed webhooks into the agent's routes,
the agent texting through a local fake Twilio server, one settable clock for all of them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from hcp import HcpClient, compute_signature
from hcp.sandbox import create_sandbox_app
from hcp.sandbox.seed import seed_demo_company
from hcp.sandbox.store import SandboxState
from hcp.sandbox.testing import SANDBOX_BASE_URL, FakeClock
from voice_agent import deps
from voice_agent.channels import hcp_webhooks, sms
from voice_agent.followups.gateway import FollowupHcp
from voice_agent.followups.runtime import MessagingRuntime, build_runtime
from voice_agent.messaging.inbound import SmsAgent
from voice_agent.messaging.sender import TwilioSmsSender
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore, open_store, upgrade
from voice_agent.testing.fake_twilio import FakeTwilioServer

AGENT_URL = "https://agent.example.com"
BUSINESS_NUMBER = "+15005550006"
OFFICE_NUMBER = "+13125550199"
WEBHOOK_SECRET = "test-hcp-webhook-secret-not-real"
PAY_URL = "https://pay.example.com/demo"


def agent_settings(tmp_path: Path, twilio: FakeTwilioServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "public_base_url": AGENT_URL,
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_phone_number": BUSINESS_NUMBER,
        "hcp_webhook_secret": WEBHOOK_SECRET,
        "office_number": OFFICE_NUMBER,
        "pay_url": PAY_URL,
        "business_timezone": "America/Chicago",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def messaging_app(settings: Settings, runtime: MessagingRuntime) -> FastAPI:
    """The agent's SMS and HCP webhook routes (what create_app mounts)."""
    app = FastAPI()
    app.state.settings = settings
    app.dependency_overrides[deps.messaging] = lambda: runtime
    app.include_router(sms.router)
    app.include_router(hcp_webhooks.router)
    return app


@dataclass
class World:
    clock: FakeClock
    settings: Settings
    store: SqlStore
    sandbox: FastAPI
    control: httpx.AsyncClient  # raw HTTP to the sandbox (online booking, pay, lookups)
    hcp: HcpClient
    twilio: FakeTwilioServer
    runtime: MessagingRuntime
    agent: httpx.AsyncClient  # HTTP to the agent's routes
    _sids: int = 0

    async def settle(self, rounds: int = 4) -> None:
        """Deliver pending webhooks and run the outbox until nothing new happens."""
        for _ in range(rounds):
            await self.sandbox.state.sandbox.webhooks.drain()
            report = await self.runtime.run_once()
            if report.claimed == 0 and not self.sandbox.state.sandbox.webhooks._tasks:
                return

    async def text(self, from_number: str, body: str) -> httpx.Response:
        """The customer texts the business (a correctly signed Twilio webhook)."""
        self._sids += 1
        params = {
            "MessageSid": f"SM{self._sids:032d}",
            "AccountSid": self.twilio.account_sid,
            "From": from_number,
            "To": BUSINESS_NUMBER,
            "Body": body,
            "NumMedia": "0",
        }
        return await self.post_twilio("/twilio/sms", params)

    async def post_twilio(
        self, path: str, params: dict[str, str], *, signature: str | None = None
    ) -> httpx.Response:
        url = AGENT_URL + path
        sig = signature or RequestValidator(self.twilio.auth_token).compute_signature(url, params)
        return await self.agent.post(path, data=params, headers={"X-Twilio-Signature": sig})

    async def event(self, event: dict[str, Any]) -> httpx.Response:
        """HCP delivers a signed webhook event (stamped now)."""
        body = json.dumps(
            {"event_occurred_at": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"), **event}
        ).encode()
        timestamp = str(int(self.clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Api-Timestamp": timestamp,
            "Api-Signature": compute_signature(WEBHOOK_SECRET, timestamp, body),
        }
        return await self.agent.post("/hcp/webhooks", content=body, headers=headers)

    def texts_to(self, number: str) -> list[str]:
        return self.twilio.sent_to(number)


@asynccontextmanager
async def world(
    tmp_path: Path,
    *,
    agent: SmsAgent | None = None,
    hcp: FollowupHcp | None = None,
    now: datetime | None = None,
    **settings: Any,
) -> AsyncIterator[World]:
    """The rig; `hcp` replaces the sandbox as the follow-ups' HCP (for exact timing tests)."""
    clock = FakeClock(now) if now else FakeClock()  # default: Wed 2026-11-25 9:00 Chicago
    async with FakeTwilioServer() as twilio:
        conf = agent_settings(tmp_path, twilio, **settings)
        url = f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"
        await upgrade(url)
        store = open_store(url)
        state = SandboxState.open(None)
        seed_demo_company(state, now=clock())
        agent_http: httpx.AsyncClient | None = None

        async def deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
            assert agent_http is not None
            response = await agent_http.post("/hcp/webhooks", content=body, headers=headers)
            return response.status_code

        sandbox = create_sandbox_app(
            state=state,
            clock=clock,
            webhook_url=AGENT_URL + "/hcp/webhooks",
            webhook_secret=WEBHOOK_SECRET,
            webhook_sender=deliver,
        )
        transport = httpx.ASGITransport(app=sandbox)
        client = HcpClient(
            "sandbox",
            base_url=SANDBOX_BASE_URL,
            allowed_domains=("sandbox.hcp.test",),
            transport=transport,
        )
        control = httpx.AsyncClient(
            transport=transport, base_url=SANDBOX_BASE_URL,
            headers={"Authorization": "Token sandbox"},
        )  # fmt: skip
        sender = TwilioSmsSender(
            twilio.account_sid, twilio.auth_token, from_number=BUSINESS_NUMBER,
            base_url=twilio.base_url,
        )  # fmt: skip
        runtime = build_runtime(
            conf,
            store=store,
            hcp=hcp or client,
            agent=agent,
            sender=sender,
            clock=clock,
            worker="test",
        )
        runtime.dispatcher._jitter = lambda: 1.0
        if agent is not None and hasattr(agent, "store"):
            agent.store = store
        app = messaging_app(conf, runtime)
        agent_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=AGENT_URL)
        try:
            yield World(clock, conf, store, sandbox, control, client, twilio, runtime, agent_http)
        finally:
            await sandbox.state.sandbox.webhooks.drain()
            await agent_http.aclose()
            await control.aclose()
            await client.aclose()
            await runtime.aclose()
            await store.close()

"""A ConversationRelay call against the real app served by uvicorn on a loopback port.

OpenAI traffic goes through the real `openai` SDK to the local fake server; HCP is the
seeded sandbox; the caller is `RelayCall`, which speaks Twilio's protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.engine.llm_script import booking_responder
from voice_agent.app import create_app
from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.services import build_sandbox_client, build_services
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore
from voice_agent.testing import FakeOpenAIServer
from voice_agent.testing.relay_client import RelayCall, served

from .conftest import PUBLIC, TOKEN, voice_settings

JAMES = "+12175550100"  # a sandbox customer at 6420 Oak Street, Springfield
ON_CALL = "+13125550111"


@dataclass
class RelayWorld:
    """The served app, its settings, the fake model and an HTTP client."""

    settings: Settings
    store: SqlStore
    base: str
    http: httpx.AsyncClient
    model: FakeOpenAIServer
    app: Any = None

    def call(self, caller: str = JAMES) -> RelayCall:
        """A new call from `caller`."""
        hooks = SimulatedCall(self.http, auth_token=TOKEN, public_base_url=PUBLIC, caller=caller)
        return RelayCall(hooks, ws_base=self.base.replace("http://", "ws://"))

    async def jobs(self, customer_id: str) -> list[dict[str, Any]]:
        """The jobs this agent booked for `customer_id` in the sandbox (tagged as ours)."""
        client, state = build_sandbox_client(self.settings)
        try:
            page = await client.jobs.list(customer_id=customer_id)
            jobs = [job.model_dump() for job in page.items]
            return [job for job in jobs if self.settings.booking_tag in (job.get("tags") or [])]
        finally:
            await client.aclose()
            state.close()


@asynccontextmanager
async def relay_world(
    tmp_path: Path, store: SqlStore, model: FakeOpenAIServer | None = None, **overrides: Any
) -> AsyncIterator[RelayWorld]:
    """The app in relay mode on `store`, with the booking LLM policy unless `model` is given."""
    server = model or FakeOpenAIServer(responder=booking_responder)
    async with server:
        values: dict[str, Any] = {
            "voice_transport": "relay",
            "openai_api_key": "test-openai-key-not-real",
            "openai_base_url": server.base_url,
            "on_call_number": ON_CALL,
        }
        values.update(overrides)
        settings = voice_settings(tmp_path, **values)
        services = build_services(settings, store)
        try:
            app = create_app(settings, services)
            async with served(app) as base:
                async with httpx.AsyncClient(base_url=base) as http:
                    yield RelayWorld(settings, store, base, http, server, app)
        finally:
            await services.aclose()

"""`voice-agent followups run-once` and `status` against a fresh database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voice_agent.cli import app
from voice_agent.storage import open_store, upgrade


def test_run_once_and_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER", "DATABASE_URL",
                 "HCP_API_KEY", "HCP_BASE_URL", "OPENAI_API_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    url = f"sqlite+aiosqlite:///{tmp_path / 'voice-agent.db'}"

    async def prepare() -> None:
        await upgrade(url)
        store = open_store(url)
        await store.enqueue(
            "hcp_event",
            {"event_id": "e1", "event": {"event": "customer.created", "customer": {"id": "c"}}},
            idempotency_key="hcp-event:e1",
            due_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
        await store.record_webhook_event("hcp", "e1", "customer.created", {})
        await store.close()

    asyncio.run(prepare())
    runner = CliRunner()
    result = runner.invoke(app, ["followups", "run-once"])
    assert result.exit_code == 0, result.output
    assert "claimed 1: 1 done" in result.output
    status = runner.invoke(app, ["followups", "status"])
    assert status.exit_code == 0 and "hcp_event" in status.output and "done" in status.output

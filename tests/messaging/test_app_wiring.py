"""`create_app` mounts the SMS and HCP webhook routes and runs the follow-up scheduler."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from voice_agent.app import create_app
from voice_agent.followups.runtime import MessagingRuntime
from voice_agent.settings import Settings
from voice_agent.storage import upgrade


def test_app_serves_sms_and_hcp_webhooks(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="test-twilio-token-not-real",
        hcp_webhook_secret="test-hcp-webhook-secret-not-real",
    )
    asyncio.run(upgrade(settings.effective_database_url))
    with TestClient(create_app(settings)) as client:
        runtime = client.app.state.runtime.messaging  # type: ignore[attr-defined]
        assert isinstance(runtime, MessagingRuntime)
        assert runtime.scheduler.running  # started with the app's own services
        assert runtime.sender is None  # no TWILIO_PHONE_NUMBER: texts wait in the outbox
        assert client.post("/hcp/webhooks", json={"foo": "bar"}).status_code == 200
        assert client.post("/hcp/webhooks", json={"event": "job.created"}).status_code == 401
        forged = client.post(
            "/twilio/sms",
            data={"MessageSid": "SM1", "From": "+13125550142", "Body": "hi"},
            headers={"X-Twilio-Signature": "forged"},
        )
        assert forged.status_code == 403

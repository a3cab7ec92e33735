"""`voice-agent doctor`: every component is checked for real and a broken one names its fix."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from voice_agent.cli import app as cli_app
from voice_agent.doctor import Check, diagnose
from voice_agent.settings import Settings
from voice_agent.storage.migrate import upgrade
from voice_agent.testing.fake_openai import FakeOpenAIServer, Reply


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.component: check for check in checks}


async def test_fresh_defaults(settings: Settings) -> None:
    checks = _by_name(await diagnose(settings))
    assert checks["database"].state == "broken"
    assert "voice-agent db upgrade" in checks["database"].fix
    await upgrade(settings.effective_database_url)
    checks = _by_name(await diagnose(settings))
    assert [c.state for c in checks.values()] == [
        "default",
        "off",
        "default",
        "default",
        "off",
        "off",
        "off",
    ]
    assert "ADMIN_PASSWORD" in checks["dashboard"].fix
    assert "OFFICE_NUMBER" in checks["transfers"].fix


@pytest.mark.parametrize(
    ("status", "state", "words"),
    [(200, "real", "Acme Heating"), (401, "broken", "credentials set hcp")],
)
async def test_hcp_key_is_tried_against_hcp(
    settings: Settings, status: int, state: str, words: str
) -> None:
    await upgrade(settings.effective_database_url)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status == 401:
            return httpx.Response(401, json={"message": "Unauthorized"})
        return httpx.Response(200, json={"id": "c1", "name": "Acme Heating", "time_zone": "UTC"})

    configured = settings.model_copy(update={"hcp_api_key": SecretStr("test-hcp-key-not-real")})
    check = _by_name(await diagnose(configured, hcp_transport=httpx.MockTransport(handler)))["hcp"]
    assert (check.state, seen[0].url.path) == (state, "/company")
    assert words in check.detail + check.fix
    assert "test-hcp-key-not-real" not in check.detail + check.fix


async def test_llm_is_asked_once(settings: Settings) -> None:
    await upgrade(settings.effective_database_url)
    async with FakeOpenAIServer([Reply.text("ok"), Reply.error(500)]) as server:
        configured = settings.model_copy(
            update={
                "openai_api_key": SecretStr("sk-test-not-real"),
                "openai_base_url": server.base_url,
            }
        )
        assert _by_name(await diagnose(configured))["llm"].state == "real"
        broken = _by_name(await diagnose(configured))["llm"]
    assert broken.state == "broken" and "OPENAI_BASE_URL" in broken.fix


async def test_twilio_needs_the_public_url(settings: Settings) -> None:
    configured = settings.model_copy(
        update={"twilio_account_sid": "ACtest", "twilio_auth_token": SecretStr("not-real")}
    )
    check = _by_name(await diagnose(configured))["twilio"]
    assert check.state == "broken" and "PUBLIC_BASE_URL" in check.fix


def test_cli_exits_non_zero_when_broken(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli_app, ["doctor"])
    assert result.exit_code == 1
    assert "broken" in result.output and "upgrade" in result.output

"""Issue 19: doctor warns without a number to alert, reads the server's .env, asks a server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from pydantic import AnyHttpUrl, SecretStr
from typer.testing import CliRunner

from tests.web.browser_support import running_server
from voice_agent.cli import app as cli_app
from voice_agent.cli import package_version
from voice_agent.doctor import diagnose
from voice_agent.settings import Settings
from voice_agent.storage import open_store
from voice_agent.storage.migrate import upgrade

PASSWORD = "doctor-test-password-not-real"


async def test_doctor_warns_without_an_office_or_on_call_number(settings: Settings) -> None:
    await upgrade(settings.effective_database_url)
    check = {c.component: c for c in await diagnose(settings)}["transfers"]
    assert check.state == "off" and "first thing" in check.detail
    assert "OFFICE_NUMBER" in check.fix and "Setup" in check.fix


async def test_doctor_sees_the_number_saved_on_the_setup_page(settings: Settings) -> None:
    await upgrade(settings.effective_database_url)
    store = open_store(settings.effective_database_url)
    await store.set_setting("on_call_number", "+15125550111")
    await store.close()
    check = {c.component: c for c in await diagnose(settings)}["transfers"]
    assert (check.state, check.detail) == ("real", "on-call number set")


def test_doctor_reads_the_env_file_the_server_reads(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(upgrade(settings.effective_database_url))
    env = tmp_path / "server.env"
    env.write_text(f"DATA_DIR={settings.data_dir}\nOFFICE_NUMBER=+15125550111\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(cli_app, ["doctor", "--env-file", str(env)])
    assert result.exit_code == 0, result.output
    assert "office number set" in result.output
    assert str(env) in result.output  # it says which file it read


def test_doctor_url_reports_the_running_servers_view(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = settings.model_copy(
        update={
            "admin_password": SecretStr(PASSWORD),
            "twilio_account_sid": "ACtest",
            "twilio_auth_token": SecretStr("not-a-real-token"),
            "public_base_url": AnyHttpUrl("https://agent.example.com"),
            "office_number": "+15125550111",
        }
    )
    monkeypatch.chdir(tmp_path)  # this shell: no Twilio, no office number
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("COLUMNS", "250")  # one table row per line
    with running_server(server) as url:
        local = CliRunner().invoke(cli_app, ["doctor"])
        remote = CliRunner().invoke(cli_app, ["doctor", "--url", url])
        wrong = CliRunner().invoke(
            cli_app, ["doctor", "--url", url], env={"ADMIN_PASSWORD": "wrong-password-x"}
        )
        anonymous = httpx.get(f"{url}/api/doctor")
    assert "no phone number connected" in local.output  # what the issue saw
    assert remote.exit_code == 0, remote.output
    assert "reports" in remote.output and "webhooks at https://agent.example.com" in remote.output
    assert "office number set" in remote.output
    assert "not-a-real-token" not in remote.output and PASSWORD not in remote.output
    assert "refused the ADMIN_PASSWORD" in wrong.output and "configured" in wrong.output
    assert anonymous.status_code == 401


def test_version() -> None:
    result = CliRunner().invoke(cli_app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"voice-agent {package_version()}"
    assert package_version()[0].isdigit()

"""Configuration: defaults, parsing, and one clear line naming each bad setting."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from voice_agent.app import create_app
from voice_agent.errors import ConfigError
from voice_agent.settings import (
    Settings,
    load_settings,
    normalise_database_url,
    parse_business_hours,
)


def test_embedded_defaults(settings: Settings, tmp_path: Path) -> None:
    assert (
        settings.effective_database_url
        == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/voice-agent.db"
    )
    components = settings.components()
    assert components["database"].startswith("sqlite")
    assert components["llm"].startswith("guided intake")
    assert components["hcp"].startswith("sandbox")
    assert settings.hcp_allowed_domains == ("*.housecallpro.com",)


def test_env_values_are_read(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("HCP_ALLOWED_DOMAINS", "*.housecallpro.com, api.example.test")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/x")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fake")
    monkeypatch.setenv("ON_CALL_NUMBER", "(512) 555-0142")
    loaded = load_settings(_env_file=None)
    assert loaded.hcp_allowed_domains == ("*.housecallpro.com", "api.example.test")
    assert loaded.effective_database_url == "postgresql+asyncpg://u@db/x"
    assert loaded.on_call_number == "+15125550142"
    assert loaded.components()["llm"].startswith("openai")
    assert "sk-test-fake" not in repr(loaded)


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("BUSINESS_TIMEZONE", "Mars/Base", "setting BUSINESS_TIMEZONE"),
        ("BUSINESS_HOURS", "whenever", "setting BUSINESS_HOURS"),
        ("ON_CALL_NUMBER", "not a number", "setting ON_CALL_NUMBER"),
        (
            "VOICE_AGENT_MASTER_KEY",
            "c2hvcnQ=",
            "setting VOICE_AGENT_MASTER_KEY: must decode to 32 bytes",
        ),
        ("PUBLIC_BASE_URL", "nope", "setting PUBLIC_BASE_URL"),
        ("OPENAI_TIMEOUT", "-1", "setting OPENAI_TIMEOUT"),
        ("QUIET_HOURS", "late evening", "setting QUIET_HOURS"),
        ("INVOICE_REMINDER_MAX", "-2", "setting INVOICE_REMINDER_MAX"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None)
    assert named in str(info.value)
    assert "\n" not in str(info.value)


def test_business_hours_parse() -> None:
    hours = parse_business_hours("mon-fri 08:00-17:00; sat 9:00-13:00")
    assert hours.days[0] == (time(8), time(17))
    assert hours.days[5] == (time(9), time(13))
    assert 6 not in hours.days
    assert hours.is_open(4, time(16, 59)) and not hours.is_open(4, time(17))
    with pytest.raises(ValueError, match="closing time"):
        parse_business_hours("mon 17:00-08:00")


def test_database_url_drivers() -> None:
    assert normalise_database_url("postgresql://a@b/c") == "postgresql+asyncpg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_database_url("postgresql+asyncpg://a@b/c") == "postgresql+asyncpg://a@b/c"


def test_healthz_reports_components(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["components"] == settings.components()


def test_followup_settings_reach_the_followup_config(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from voice_agent.followups.config import FollowupConfig

    monkeypatch.setenv("QUIET_HOURS", "22:00-08:30")
    monkeypatch.setenv("INVOICE_REMINDER_CADENCE_DAYS", "2")
    monkeypatch.setenv("ONLINE_BOOKING_LEAD_SOURCE", "Website")
    config = FollowupConfig.from_settings(load_settings(_env_file=None))
    assert (config.quiet_start, config.quiet_end) == (time(22), time(8, 30))
    assert config.reminder_cadence.days == 2
    assert config.online_booking_lead_source == "Website"


def test_intake_questions_parse_per_job_type() -> None:
    settings = load_settings(
        intake_questions="Drain cleaning: Which drain is it? | Is it backing up?\n\n"
        "AC Repair: Is it blowing warm air or not running at all?"
    )
    assert settings.intake_questions_by_type == {
        "drain cleaning": ("Which drain is it?", "Is it backing up?"),
        "ac repair": ("Is it blowing warm air or not running at all?",),
    }
    assert load_settings().intake_questions_by_type == {}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Drain cleaning Which drain?", "cannot read"),
        ("Drain cleaning:", "cannot read"),
        ("x: a? | b? | c? | d?", "at most 3"),
    ],
)
def test_bad_intake_questions_name_the_setting(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"setting INTAKE_QUESTIONS: .*{problem}"):
        load_settings(intake_questions=text)


def test_digest_settings_are_checked() -> None:
    settings = load_settings(owner_digest_time="7:05", owner_digest_email=" boss@example.com ")
    assert settings.digest_at.hour == 7 and settings.digest_at.minute == 5
    assert settings.owner_digest_email == "boss@example.com"
    for name, value in (
        ("owner_digest_time", "evening"),
        ("owner_digest_email", "not-an-address"),
        ("smtp_url", "http://mail.example.com"),
        ("owner_digest_phone", "123"),
        ("owner_digest_period", "hourly"),
    ):
        with pytest.raises(ConfigError, match=f"setting {name.upper()}"):
            load_settings(**{name: value})

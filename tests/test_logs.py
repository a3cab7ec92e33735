"""Log redaction: phone numbers, emails and secrets never reach a log line in full."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from voice_agent.logs import (
    JsonFormatter,
    RedactingFilter,
    configure_logging,
    redact,
    register_secret,
)
from voice_agent.settings import Settings


@pytest.mark.parametrize(
    ("raw", "hidden", "kept"),
    [
        ("caller +15125550142 connected", "5125550142", "***0142"),
        ("callback (512) 555-0142 please", "555-0142", "***0142"),
        ("email jane.doe@example.com", "jane.doe@example.com", "***@***"),
        ("Authorization: Token abcdef123456", "abcdef123456", "Token ***"),
        ("api_key=sk-test-fake-123", "sk-test-fake-123", "api_key=***"),
        # httpx's INFO line for a customer search: the ten digits were left in clear
        (
            'HTTP Request: GET https://api.housecallpro.com/customers?q=5125550142&page=1 "200 OK"',
            "5125550142",
            "q=***0142&page=1",
        ),
        ("To=%2B15125550142&Body=hi", "5125550142", "To=***0142"),
        ("from 512.555.0142.", "555.0142", "***0142."),
        ("{'from': '+447911123456'}", "7911123456", "'***3456'"),
        ("smtp://mailer:hunter2secret@mail.example.com:587", "hunter2secret", "smtp://***@"),
        ('{"password": "p4ss-word"}', "p4ss-word", '"password": "***"'),
    ],
)
def test_redact(raw: str, hidden: str, kept: str) -> None:
    out = redact(raw)
    assert hidden not in out
    assert kept in out


@pytest.mark.parametrize(
    "line",
    [
        "booked 2 windows at 8:00 for $189",
        "component vault: {'vault': 'no master key'}",
        "job job_8f2a1c arrives 2026-12-06T14:00:00Z (window 2026-12-06 14:00-16:00)",
        "hcp GET /customers -> 200 in 12.5 ms (request id 1784871495)",
        "turn took 1234567 us; tokens=2048 prompt_tokens=1500",
        "webhook signing secret is not configured",
        "set HCP_API_KEY or store the key",
    ],
)
def test_ordinary_lines_are_not_garbled(line: str) -> None:
    assert redact(line) == line


@pytest.fixture
def canary() -> Iterator[str]:
    value = "canary-Zq7Xw9-not-a-real-key"
    register_secret(value)
    yield value


def test_exact_secret_values_are_redacted_wherever_they_appear(canary: str) -> None:
    for line in (f"boom {canary}", f"url=https://x/?k={canary}", f"{{'k': '{canary}'}}"):
        out = redact(line)
        assert canary not in out and "[secret]" in out


def test_configure_logging_registers_every_secret_setting(tmp_path: object) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        openai_api_key="oa-canary-value-not-real",
        twilio_auth_token="tw-canary-value-not-real",
        admin_password="pw-canary-value",
    )
    root = logging.getLogger()
    before = (root.handlers[:], root.level)
    try:
        configure_logging(settings)
        stream = io.StringIO()
        root.handlers[0].stream = stream  # type: ignore[attr-defined]
        logging.getLogger("x").warning(
            "values %s %s %s",
            "oa-canary-value-not-real",
            "tw-canary-value-not-real",
            "pw-canary-value",
        )
        assert "canary" not in stream.getvalue()
        assert stream.getvalue().count("[secret]") == 3
    finally:
        root.handlers[:], _ = before
        root.setLevel(before[1])


def test_filter_applies_to_formatted_args(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("call from %s", "+15125550142")
    assert "5125550142" not in caplog.text
    assert "***0142" in caplog.text


def test_json_output_is_one_redacted_object_per_line(canary: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("call from %s", "+15125550142", extra={"caller": "+15125550142", "n": 3})
        try:
            raise RuntimeError(f"failed with {canary}")
        except RuntimeError:
            logger.exception("oops")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "call from ***0142"
    assert (first["caller"], first["n"], first["level"]) == ("***0142", 3, "WARNING")
    assert "RuntimeError" in second["exception"] and canary not in stream.getvalue()


def test_log_format_setting_is_checked() -> None:
    from voice_agent.errors import ConfigError
    from voice_agent.settings import load_settings

    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings(log_format="xml")


def test_channel_log_masks_keep_the_last_4_digits() -> None:
    from voice_agent.phones import mask as mask_number

    assert mask_number("+15125550142") == "***0142"
    assert mask_number("anonymous") == "unknown"
    assert redact(f"voice call from {mask_number('+15125550142')}") == "voice call from ***0142"

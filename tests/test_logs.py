"""Log redaction: phone numbers, emails and secrets never reach a log line in full."""

from __future__ import annotations

import logging

import pytest

from voice_agent.logs import RedactingFilter, redact


@pytest.mark.parametrize(
    ("raw", "hidden", "kept"),
    [
        ("caller +15125550142 connected", "5125550142", "***42"),
        ("callback (512) 555-0142 please", "555-0142", "***42"),
        ("email jane.doe@example.com", "jane.doe@example.com", "***@***"),
        ("Authorization: Token abcdef123456", "abcdef123456", "Token ***"),
        ("api_key=sk-test-fake-123", "sk-test-fake-123", "key=***"),
    ],
)
def test_redact(raw: str, hidden: str, kept: str) -> None:
    out = redact(raw)
    assert hidden not in out
    assert kept in out


def test_filter_applies_to_formatted_args(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("call from %s", "+15125550142")
    assert "5125550142" not in caplog.text
    assert "***42" in caplog.text


def test_plain_numbers_survive() -> None:
    assert redact("booked 2 windows at 8:00 for $189") == "booked 2 windows at 8:00 for $189"

"""Logging set-up with redaction of phone numbers, emails and keys."""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    (re.compile(r"\+?\d[\d\-\s().]{7,}\d(\d{2})\b"), r"***\1"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "***@***"),
    (re.compile(r"(?i)(token|bearer|key|secret|password)([\s:=\"']+)[^\s\"',]+"), r"\1\2***"),
)


def redact(text: str) -> str:
    """Mask phone numbers (keeping the last two digits), emails and secret-looking values."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record's message through `redact` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


def configure_logging(level: str) -> None:
    """Send redacted log lines to stderr at `level`."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

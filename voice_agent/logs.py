"""Logging set-up: phone numbers masked to the last 4 digits, secrets redacted, text or JSON.

Redaction happens once per record, in a filter on the handler, so every logger (httpx,
uvicorn, the app's own) goes through it. The exact value of every loaded secret (settings
and the vault key, see `register_secret`) is replaced by `[secret]`; phone numbers become
`***0142`; e-mail addresses `***@***`; `password=…`, `api_key: …`, `Token …`/`Bearer …`
values `***`. Ordinary text (ids, times, money, dict reprs) is left alone.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from voice_agent.phones import mask

if TYPE_CHECKING:
    from voice_agent.settings import Settings

# A North American number in any usual spelling (+1 512 555 0142, (512) 555-0142,
# 512.555.0142, %2B15125550142 in a URL), or any other number written with `+`; never
# inside a longer run of digits or letters.
_PHONE = re.compile(
    r"(?<![\w.+%])"
    r"(?:(?:%2B|\+)?(?:1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]?\d{3}[\s.-]?(\d{4})"
    r"|(?:%2B|\+)\d{6,11}(\d{4}))"
    r"(?!\w)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_KEYED = re.compile(
    r"(?i)\b((?:api[_-]?|auth[_-]?|access[_-]?|refresh[_-]?)?(?:key|token)|secret|password"
    r"|passwd|authorization)(\"?'?\s*[:=]\s*\"?'?)((?:token|bearer|basic)\s+)?"
    r"[^\s\"',;}&\])]+"
)
_AUTH_SCHEME = re.compile(r"\b(Token|Bearer|Basic) [A-Za-z0-9._~+/=-]{8,}")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@:]+:[^/\s@]+@")

_secrets: tuple[str, ...] = ()  # longest first, so a secret inside another is not half-masked
_secrets_lock = threading.Lock()
_MIN_SECRET_LENGTH = 6


def register_secret(value: str | None) -> None:
    """Redact this exact value from every later log line (short values are ignored)."""
    global _secrets
    if value and len(value.strip()) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets = tuple(sorted({*_secrets, value.strip()}, key=len, reverse=True))


def _mask_phone(match: re.Match[str]) -> str:
    return mask(match.group(0))  # the match ends with the 4 digits kept


def redact(text: str) -> str:
    """`text` with secrets, phone numbers and e-mail addresses masked."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[secret]")
    text = _URL_USERINFO.sub(r"\1***@", text)
    text = _KEYED.sub(lambda m: m.group(1) + m.group(2) + (m.group(3) or "") + "***", text)
    text = _AUTH_SCHEME.sub(r"\1 ***", text)
    text = _EMAIL.sub("***@***", text)
    return _PHONE.sub(_mask_phone, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_NOT_EXTRA = _STANDARD | {"color_message"}  # uvicorn's ANSI-coloured copy of the message


class RedactingFilter(logging.Filter):
    """Formats each record's message once and redacts it, and any `extra` string fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None if record.exc_text else record.exc_info
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD:
                setattr(record, name, _redact_value(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, `extra` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _NOT_EXTRA and not name.startswith("_"):
                entry[name] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def settings_secrets(settings: Settings) -> Iterable[str]:
    """The values of every secret setting (SecretStr fields) that is set."""
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            yield str(value.get_secret_value())


def configure_logging(
    settings: Settings | str, *, log_format: str | None = None, secrets: Iterable[str] = ()
) -> None:
    """Send redacted log lines to stderr: `settings` (level, format, secrets) or a level name."""
    if isinstance(settings, str):
        level, fmt = settings, log_format or "text"
    else:
        level, fmt = settings.log_level, log_format or settings.log_format
        for value in settings_secrets(settings):
            register_secret(value)
    for value in secrets:
        register_secret(value)
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

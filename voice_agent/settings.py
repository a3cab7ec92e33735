"""Configuration: one `Settings` class read from the environment and `.env`.

Settings are built by the app factory or the CLI (`load_settings`), never at import time.
A missing or malformed value raises `ConfigError` with one line per bad setting, naming
the environment variable to fix.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from voice_agent import phones
from voice_agent.errors import ConfigError

DEFAULT_DATA_DIR = Path("data")
DEFAULT_HCP_BASE_URL = "https://api.housecallpro.com"
DEFAULT_BUSINESS_HOURS = "mon-fri 08:00-17:00"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<open>\d{1,2}:\d{2})-(?P<close>\d{1,2}:\d{2})$"
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

CommaList = Annotated[tuple[str, ...], NoDecode]


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours: weekday (0 = Monday) -> (open, close) in local time."""

    days: dict[int, tuple[time, time]]

    def is_open(self, weekday: int, at: time) -> bool:
        """Whether the business is open on `weekday` at local time `at`."""
        span = self.days.get(weekday)
        return span is not None and span[0] <= at < span[1]


def parse_business_hours(text: str) -> OpeningHours:
    """Parse `"mon-fri 08:00-17:00; sat 09:00-13:00"` into `OpeningHours`."""
    days: dict[int, tuple[time, time]] = {}
    for raw in filter(None, (part.strip().lower() for part in text.split(";"))):
        match = _HOURS_PART.match(raw)
        if not match or match["first"] not in _DAYS or (match["last"] or "mon") not in _DAYS:
            raise ValueError(
                f"cannot read {raw!r}; expected e.g. 'mon-fri 08:00-17:00; sat 09:00-13:00'"
            )
        first = _DAYS.index(match["first"])
        last = _DAYS.index(match["last"]) if match["last"] else first
        opens, closes = (
            time.fromisoformat(match["open"].zfill(5)),
            time.fromisoformat(match["close"].zfill(5)),
        )
        if closes <= opens:
            raise ValueError(f"in {raw!r} the closing time must be after the opening time")
        for day in range(first, last + 1):
            days[day] = (opens, closes)
    return OpeningHours(days)


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """Parse `"21:00-09:00"` (local start and end; may wrap past midnight)."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        return time.fromisoformat(start.strip().zfill(5)), time.fromisoformat(end.strip().zfill(5))
    except ValueError:
        raise ValueError(f"cannot read {text!r}; expected e.g. '21:00-09:00'") from None


def parse_intake_questions(text: str) -> dict[str, tuple[str, ...]]:
    """Parse per-job-type intake questions, one job type per line, questions split by `|`.

    `"Drain cleaning: Which drain is it? | Is it backing up?"` -> `{"drain cleaning": (...)}`.
    Each job type takes 1-3 questions; keys are lower case so matching ignores case.
    """
    result: dict[str, tuple[str, ...]] = {}
    for raw in filter(None, (line.strip() for line in text.splitlines())):
        name, sep, rest = raw.partition(":")
        questions = tuple(q.strip() for q in rest.split("|") if q.strip())
        if not sep or not name.strip() or not questions:
            raise ValueError(
                f"cannot read {raw!r}; expected e.g. "
                "'Drain cleaning: Which drain is it? | Is it backing up?'"
            )
        if len(questions) > 3:
            raise ValueError(f"{name.strip()!r} has {len(questions)} questions; at most 3")
        result[name.strip().lower()] = questions
    return result


def _e164(value: str, setting: str) -> str:
    try:
        return phones.strict_e164(value)
    except ValueError as exc:
        raise ValueError(f"{exc} for {setting}") from None


class Settings(BaseSettings):
    """Every setting of the product; each field is the upper-case environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # Infrastructure
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    public_base_url: AnyHttpUrl | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    voice_agent_master_key: SecretStr | None = None
    admin_password: SecretStr | None = None
    forwarded_allow_ips: str = "127.0.0.1,::1"  # proxies whose X-Forwarded-For is believed
    api_docs: bool = False  # serve /docs and /openapi.json
    log_format: Literal["text", "json"] = "text"
    verify_max_failures: int = Field(default=3, ge=1)  # identity checks per caller number per day

    # LLM
    openai_api_key: SecretStr | None = None
    openai_base_url: AnyHttpUrl | None = None
    openai_model: str = "gpt-4.1-mini"
    openai_timeout: float = Field(default=8.0, gt=0)
    llm_input_usd_per_mtok: float = Field(default=0.40, ge=0)  # for the dashboard's cost figures
    llm_output_usd_per_mtok: float = Field(default=1.60, ge=0)

    # Housecall Pro
    hcp_api_key: SecretStr | None = None
    hcp_base_url: AnyHttpUrl | None = None
    hcp_allowed_domains: CommaList = ("*.housecallpro.com",)
    hcp_webhook_secret: SecretStr | None = None
    hcp_company_id: str | None = None  # when set, HCP webhooks for other companies are ignored
    hcp_timeout: float = Field(default=5.0, gt=0)
    hcp_proxy: str | None = None  # http(s):// proxy for HCP calls; environment proxies never used

    # Twilio
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_phone_number: str | None = None
    voice_name: str = "Polly.Joanna-Neural"
    voice_language: str = "en-US"
    filler_after_seconds: float = Field(default=1.2, gt=0)
    twilio_api_base_url: AnyHttpUrl | None = None  # a local fake Twilio REST server, for tests
    # How calls are carried: `gather` (webhook per turn) or `relay` (ConversationRelay stream)
    voice_transport: Literal["gather", "relay"] = "gather"
    relay_tts_provider: Literal["Google", "Amazon", "ElevenLabs"] = "Google"
    relay_voice: str = "en-US-Chirp3-HD-Aoede"  # ConversationRelay names: no Polly./Google.
    relay_voice_es: str = "es-US-Chirp3-HD-Aoede"
    relay_transcription_provider: Literal["Deepgram", "Google"] = "Deepgram"

    # SMS follow-ups and reminders
    online_booking_lead_source: str = "Online Booking"
    sms_thread_window_hours: float = Field(default=72, gt=0)
    estimate_followup_hours: float = Field(default=48, gt=0)
    invoice_reminder_cadence_days: float = Field(default=3, gt=0)
    invoice_reminder_max: int = Field(default=3, ge=0)
    quiet_hours: str = "21:00-09:00"
    schedule_change_sms: bool = True
    followup_poll_seconds: float = Field(default=15, gt=0)

    # Business profile
    business_name: str = "Bright Oak Home Services"
    business_timezone: str = "America/Chicago"
    business_hours: str = DEFAULT_BUSINESS_HOURS
    on_call_number: str | None = None
    office_number: str | None = None
    service_area: CommaList = ()
    pay_url: AnyHttpUrl | None = None
    booking_lead_source: str = "Phone agent"
    booking_tag: str = "voice-agent"
    test_numbers: CommaList = ()

    # Receptionist behaviour: disclosure, intake questions, Spanish
    disclosure_enabled: bool = True  # the opening line says the caller is talking to an assistant
    disclosure_text: str = ""  # own wording for that sentence; blank = the built-in sentence
    call_recording: bool = False  # calls are recorded: the opening line always says so
    recording_retention_days: int = Field(default=90, ge=0)  # 0 = keep until deleted by hand
    intake_questions: str = ""  # per job type, see `parse_intake_questions`
    spanish_enabled: bool = True
    voice_name_es: str = "Polly.Lupe-Neural"
    voice_language_es: str = "es-US"

    # Owner digest
    owner_digest_phone: str | None = None  # SMS digest to this number
    owner_digest_email: str | None = None  # e-mail digest to this address (needs SMTP_URL)
    owner_digest_time: str = "18:00"  # local time the period closes and the digest goes out
    owner_digest_period: Literal["daily", "weekly"] = "daily"
    smtp_url: SecretStr | None = None  # smtp://user:pass@host:587 (STARTTLS) or smtps://...:465
    email_from: str | None = None

    @field_validator("hcp_allowed_domains", "service_area", "test_numbers", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("relay_voice", "relay_voice_es")
    @classmethod
    def _bare_relay_voice(cls, value: str) -> str:
        if value.split(".", 1)[0] in ("Polly", "Google"):
            raise ValueError(
                f"{value!r}: ConversationRelay voice names have no 'Polly.'/'Google.' prefix"
            )
        return value

    @field_validator("business_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as America/Chicago") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_span(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("business_hours")
    @classmethod
    def _readable_hours(cls, value: str) -> str:
        parse_business_hours(value)
        return value

    @field_validator("intake_questions")
    @classmethod
    def _intake(cls, value: str) -> str:
        parse_intake_questions(value)
        return value

    @field_validator("owner_digest_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        try:
            time.fromisoformat(value.strip().zfill(5))
        except ValueError:
            raise ValueError(f"cannot read {value!r}; expected a time such as 18:00") from None
        return value.strip()

    @field_validator("owner_digest_email", "email_from")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not _EMAIL.match(value.strip()):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value.strip()

    @field_validator("hcp_proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// proxy URL")
        return value.strip()

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _forwarded(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts:
            raise ValueError("name at least one proxy address (default 127.0.0.1,::1)")
        return ",".join(parts)

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("must look like smtp://user:password@host:587 or smtps://host:465")
        return value

    @field_validator("on_call_number", "office_number", "twilio_phone_number", "owner_digest_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else _e164(value, "this setting")

    @field_validator("test_numbers")
    @classmethod
    def _phones(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_e164(v, "TEST_NUMBERS") for v in value)

    @field_validator("voice_agent_master_key")
    @classmethod
    def _master_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(
                "must be base64 (generate one with `voice-agent credentials new-master-key`)"
            ) from exc
        if len(raw) != 32:
            raise ValueError(f"must decode to 32 bytes, got {len(raw)}")
        return value

    @property
    def effective_database_url(self) -> str:
        """`DATABASE_URL`, or a SQLite file in the data directory."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'voice-agent.db').as_posix()}"

    @property
    def intake_questions_by_type(self) -> dict[str, tuple[str, ...]]:
        """`INTAKE_QUESTIONS` parsed: job type name (lower case) -> its 1-3 questions."""
        return parse_intake_questions(self.intake_questions)

    @property
    def digest_at(self) -> time:
        """`OWNER_DIGEST_TIME` as a local time."""
        return time.fromisoformat(self.owner_digest_time.zfill(5))

    @property
    def opening_hours(self) -> OpeningHours:
        """`BUSINESS_HOURS` parsed."""
        return parse_business_hours(self.business_hours)

    @property
    def phone_region(self) -> str:
        """Where numbers written without `+` are read: the region of `TWILIO_PHONE_NUMBER`."""
        return phones.region_of(self.twilio_phone_number)

    @property
    def zone(self) -> ZoneInfo:
        """`BUSINESS_TIMEZONE` as a `ZoneInfo`."""
        return ZoneInfo(self.business_timezone)

    @property
    def llm_enabled(self) -> bool:
        """Whether an OpenAI-compatible model is configured (else guided intake)."""
        return self.openai_api_key is not None

    @property
    def twilio_enabled(self) -> bool:
        """Whether Twilio credentials are configured."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def components(self) -> dict[str, str]:
        """Which components are real and which are embedded defaults (no secrets)."""
        db = self.effective_database_url.split(":", 1)[0].split("+", 1)[0]
        return {
            "database": "postgresql" if db.startswith("postgres") else "sqlite (embedded default)",
            "llm": f"openai ({self.openai_model})"
            if self.llm_enabled
            else "guided intake (embedded default)",
            "hcp": "housecall pro"
            if self.hcp_api_key or self.hcp_base_url
            else "sandbox (embedded default)",
            "twilio": "configured" if self.twilio_enabled else "not configured",
            "vault": "master key set" if self.voice_agent_master_key else "no master key",
        }


def normalise_database_url(url: str) -> str:
    """Pick the async driver for plain `postgres://`, `postgresql://` and `sqlite://` URLs."""
    for prefix, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix) :]
    return url


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings` from the environment (and overrides), or raise one clear `ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"setting {name}: {message}")
        raise ConfigError("; ".join(lines)) from None

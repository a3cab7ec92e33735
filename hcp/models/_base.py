"""Base model and the datetime/money field types shared by all HCP models."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer

logger = logging.getLogger("hcp.models")


def format_utc(value: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, no fractions).

    Raises:
        ValueError: If `value` is naive (HCP's reading of naive times is unknown).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} refused: pass an aware datetime "
            "(e.g. datetime(..., tzinfo=UTC) or ZoneInfo(company.time_zone))"
        )
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # responses are documented UTC
    return value.astimezone(UTC)


def _require_aware(value: datetime) -> datetime:
    format_utc(value)  # raises on naive
    return value.astimezone(UTC)


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _lenient_datetime(value: Any) -> Any:
    """Metadata timestamps: unparseable values (e.g. Stoplight's "string") become None."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            logger.debug("unparseable HCP timestamp %r treated as missing", text[:40])
            return None
    return value


UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_blank_to_none),
    AfterValidator(_as_utc),
    PlainSerializer(format_utc, when_used="json"),
]
"""A response datetime: parsed strictly, returned aware in UTC."""

LenientUtcDateTime = Annotated[
    datetime | None,
    BeforeValidator(_lenient_datetime),
    AfterValidator(lambda v: None if v is None else _as_utc(v)),
    PlainSerializer(lambda v: None if v is None else format_utc(v), when_used="json"),
]
"""A metadata datetime (created_at, updated_at...): unparseable values become None."""

OutUtcDateTime = Annotated[
    datetime,
    AfterValidator(_require_aware),
    PlainSerializer(format_utc, when_used="json"),
]
"""A request datetime: must be aware; sent as ``...Z``."""

Cents = int
"""Money in integer cents (HCP's unit for every price and amount)."""


class HcpModel(BaseModel):
    """Base for HCP response models: tolerant of extra and missing fields."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class HcpRequest(BaseModel):
    """Base for request bodies: extra fields allowed (HCP accepts some undocumented ones)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_body(self) -> dict[str, Any]:
        """The JSON body to send: None fields dropped, datetimes as UTC ``Z`` strings."""
        return self.model_dump(mode="json", exclude_none=True)


__all__ = [
    "Cents",
    "HcpModel",
    "HcpRequest",
    "LenientUtcDateTime",
    "OutUtcDateTime",
    "UtcDateTime",
    "date",
    "format_utc",
]

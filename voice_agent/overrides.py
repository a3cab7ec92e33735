"""Office-edited settings: stored via `Store.set_setting` under the `Settings` field names.

The environment gives the defaults; whatever the office saved in the dashboard wins.
`effective_settings` merges both and validates the result with the same validators as
the environment, so a stored value can never produce settings the app would refuse.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from voice_agent.errors import ConfigError
from voice_agent.settings import Settings
from voice_agent.storage.base import Store

# The business profile the office may edit (store key = Settings field name).
PROFILE_FIELDS: tuple[str, ...] = (
    "business_name",
    "business_hours",
    "business_timezone",
    "service_area",
    "emergency_policy",
    "on_call_number",
    "office_number",
    "pay_url",
    "booking_lead_source",
    "booking_tag",
    "job_type_mapping",
    "test_numbers",
    "disclosure_enabled",
    "disclosure_text",
    "call_recording",
    "recording_retention_days",
    "intake_questions",
    "spanish_enabled",
    "voice_name_es",
    "voice_language_es",
    "owner_digest_phone",
    "owner_digest_email",
    "owner_digest_time",
    "owner_digest_period",
)
# Comma-separated in forms, tuples in Settings.
LIST_FIELDS = frozenset({"service_area", "test_numbers"})


def _clean(name: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if name in LIST_FIELDS:
            return tuple(part.strip() for part in value.split(",") if part.strip()) or None
    return value if value not in ("", None, ()) else None


def _merge(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """Apply non-empty overrides; an empty value means "use the environment's value"."""
    cleaned = {k: _clean(k, v) for k, v in overrides.items() if k in Settings.model_fields}
    known = {k: v for k, v in cleaned.items() if v is not None}
    if not known:
        return settings
    values = {name: getattr(settings, name) for name in Settings.model_fields}
    values.update(known)
    return Settings.model_validate(values)


async def effective_settings(settings: Settings, store: Store) -> Settings:
    """`settings` with the office's stored overrides applied (unknown keys ignored).

    A stored value that no longer validates (e.g. after an upgrade) is skipped, so a bad
    row never takes the app down; each field is tried on its own for that reason.
    """
    stored = await store.all_settings()
    overrides = {k: stored[k] for k in PROFILE_FIELDS if k in stored}
    try:
        return _merge(settings, overrides)
    except ValidationError:
        result = settings
        for name, value in overrides.items():
            try:
                result = _merge(result, {name: value})
            except ValidationError:
                continue
        return result


def validate_profile(settings: Settings, form: dict[str, str]) -> dict[str, Any]:
    """The profile values to store, or `ConfigError` naming each bad field.

    Fields not (yet) in `Settings` (e.g. `emergency_policy`) are stored as plain text.
    """
    values = {name: form.get(name, "").strip() for name in PROFILE_FIELDS}
    try:
        _merge(settings, values)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            lines.append(f"{name}: {str(error['msg']).removeprefix('Value error, ')}")
        raise ConfigError("; ".join(lines)) from None
    return values

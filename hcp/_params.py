"""Query-string and path helpers: ``name[]=`` arrays, UTC ``Z`` times, safe path segments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

from hcp.models._base import format_utc

QueryParams = list[tuple[str, str | int | float | bool | None]]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_list(values: Iterable[str] | None) -> list[str] | None:
    """An array parameter's values: one string becomes a one-item list (sent as ``name[]=``)."""
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def build_params(**values: Any) -> QueryParams:
    """Build query params, dropping None; lists/tuples/sets are sent as repeated ``name[]=``."""
    params: QueryParams = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
            params.extend((f"{name}[]", _scalar(item)) for item in items)
        else:
            params.append((name, _scalar(value)))
    return params


def segment(value: str) -> str:
    """Quote one path segment (ids may come from a caller or an LLM: no ``/``, ``..`` or ``?``).

    Raises:
        ValueError: On an empty id or a dot-segment.
    """
    text = str(value)
    if not text.strip() or text in {".", ".."}:
        raise ValueError(f"invalid HCP id {value!r}")
    return quote(text, safe="")

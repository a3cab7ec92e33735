"""The `--strict-key` fault switch: refuse what a Company API key may not be allowed to do.

HCP's spec lists some operations for "Application API Key" and OAuth only (hcp/README §1
"Per-operation security"); whether live HCP refuses a Pro's own Company key there is
unverified. With the switch on, the sandbox answers those operations as a refused key most
likely would, so the product's fallbacks can be tested. The list is read from the spec
itself (hcp/spec/openapi.yaml), not maintained by hand.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

COMPANY_KEY = "Company API Key"
METHODS = ("get", "put", "post", "patch", "delete")
REFUSALS: dict[int, dict[str, Any]] = {
    401: {"message": "Unauthorized"},  # what HCP answers a key it does not accept (§1)
    403: {"message": "Forbidden"},
}


def _spec() -> dict[str, Any]:
    text = resources.files("hcp").joinpath("spec/openapi.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def company_key_refused() -> tuple[tuple[str, str], ...]:
    """(METHOD, path template) of every operation whose security omits the Company key."""
    spec = _spec()
    found = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            schemes = {name for entry in operation.get("security") or [] for name in entry}
            if schemes and COMPANY_KEY not in schemes:
                found.append((method.upper(), path))
    return tuple(sorted(found))


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (method, re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"))
        for method, path in company_key_refused()
    )


def refuses(method: str, path: str) -> bool:
    """True when a Company key would be refused for `method path` under the switch."""
    return any(m == method.upper() and p.match(path) for m, p in _patterns())


def strict_key_status(value: bool | int | None) -> int | None:
    """The refusal status for a strict-key setting (False/None -> off, True -> 401)."""
    if value is None or value is False:
        return None
    if value is True:
        return 401
    if value not in REFUSALS:
        raise ValueError(f"strict_key must be a bool or one of {sorted(REFUSALS)}")
    return int(value)

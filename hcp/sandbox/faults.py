"""Fault injection: latency, 429, 500 and hangs, per path prefix and rate."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["latency", "rate_limit", "server_error", "timeout"]


@dataclass
class FaultRule:
    """One fault: applies to requests whose path matches `path` (a regex, searched).

    Args:
        kind: "latency" (delay, then answer normally), "rate_limit" (429 with Retry-After),
            "server_error" (500), or "timeout" (hang for `seconds`, then 504).
        path: Regex matched with `re.search` against the request path ("" = all paths).
        rate: Probability in [0, 1] that a matching request is hit.
        seconds: Delay for "latency" and "timeout".
        retry_after: Value of the Retry-After header for "rate_limit".
        method: Only this HTTP method, or any when None.
        times: Fire at most this many times (None = no limit).
    """

    kind: FaultKind
    path: str = ""
    rate: float = 1.0
    seconds: float = 0.0
    retry_after: int = 1
    method: str | None = None
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        """True when this rule covers the request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.times is not None and self.times <= 0:
            return False
        return re.search(self.path, path) is not None


@dataclass
class Faults:
    """The active fault rules and a seeded RNG, so a run is reproducible (`sleep` is
    injectable so tests need not wait)."""

    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    hits: int = 0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, method: str, path: str) -> list[FaultRule]:
        """The rules that fire for this request (each rolls its own rate)."""
        fired = [
            r
            for r in self.rules
            if r.matches(method, path) and (r.rate >= 1.0 or self._rng.random() < r.rate)
        ]
        for rule in fired:
            if rule.times is not None:
                rule.times -= 1
        self.hits += bool(fired)
        return fired

    def replace(self, rules: list[FaultRule], seed: int | None = None) -> None:
        """Swap in new rules (and optionally reseed)."""
        self.rules = rules
        if seed is not None:
            self.seed = seed
            self._rng = random.Random(seed)

    def to_json(self) -> dict[str, Any]:
        """The rules as the control endpoint reports them."""
        return {
            "seed": self.seed,
            "hits": self.hits,
            "rules": [
                {
                    "kind": r.kind,
                    "path": r.path,
                    "rate": r.rate,
                    "seconds": r.seconds,
                    "retry_after": r.retry_after,
                    "method": r.method,
                    "times": r.times,
                }
                for r in self.rules
            ],
        }

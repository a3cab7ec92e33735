"""Caller verification rules: which spoken facts prove an account, and the stored attempt limit.

Caller ID can be spoofed and a full name is easy to find, so a caller recognised by phone
proves the service address: its house number together with the street name or the ZIP code.
Failed attempts are counted per caller number in the store, across calls and workers.
"""

from __future__ import annotations

import re

from hcp.models.customers import Address
from voice_agent.attempts import AttemptLimiter
from voice_agent.engine.toolbox import ToolContext
from voice_agent.settings import Settings
from voice_agent.tools.common import norm_words

VERIFY_WINDOW_SECONDS = 24 * 3600
TOO_MANY_ATTEMPTS = "Too many attempts. Do not try again; offer to take a message."


def house_number(address: Address) -> str | None:
    """The address's house number ("6420" of "6420 Oak St"), if it has one."""
    words = norm_words(address.street or "")
    return words[0] if words and words[0].isdigit() else None


def proves_address(said: str | None, zip_code: str | None, address: Address) -> bool:
    """Whether the caller named this address's house number and its street name or ZIP."""
    number = house_number(address)
    words = norm_words(f"{said or ''} {zip_code or ''}")
    if number is None or number not in words:
        return False
    names = [w for w in norm_words(address.street or "") if not w.isdigit()]
    if names and names[0] in words:
        return True
    ours = re.sub(r"\D", "", address.zip or "")[:5]
    return len(ours) == 5 and ours in words


def limiter(ctx: ToolContext, settings: Settings) -> AttemptLimiter:
    """The per-number limit on failed verifications (`VERIFY_MAX_FAILURES` a day)."""
    return AttemptLimiter(
        scope="verify",
        max_failures=settings.verify_max_failures,
        window_seconds=VERIFY_WINDOW_SECONDS,
        clock=lambda: ctx.now().timestamp(),
    )


def attempt_subject(ctx: ToolContext) -> str:
    """Whose failures count: the caller's number, or this call alone when there is none."""
    caller = ctx.session.caller or ""
    return caller if caller.startswith("+") else f"conversation:{ctx.conversation.id}"

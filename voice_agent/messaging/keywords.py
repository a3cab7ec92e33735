"""SMS keywords: opt-out, opt-in and help, the carrier words plus plain-language phrases."""

from __future__ import annotations

import re
from typing import Literal

Keyword = Literal["stop", "start", "help"]

OPT_OUT_FOOTER = "Reply STOP to opt out."

# Twilio's long-code keywords (single word, case-insensitive) — see twilio-openai.md.
STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out"}
)
START_WORDS = frozenset({"start", "unstop", "yes"})
HELP_WORDS = frozenset({"help", "info"})

# Phrases carriers ignore but that still revoke consent (RELIABILITY.md, FCC 24-18).
_STOP_PHRASES = re.compile(
    r"\b(stop (texting|messaging|sending|contacting)|don'?t (text|message|contact) me|"
    r"do not (text|message|contact) me|unsubscribe|opt me out|opt out|remove me from|"
    r"no more (texts|messages)|no m[aá]s)\b"
)
_PUNCT = re.compile(r"[^\w\s']")


def normalise(text: str) -> str:
    """Lower-case, drop punctuation and squeeze spaces."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def classify_keyword(text: str, *, opted_out: bool = False) -> Keyword | None:
    """Classify an inbound SMS as an opt-out, opt-in or help request, else None.

    "YES" is an opt-in only for a number that is currently opted out (that is what Twilio
    does); otherwise it is an ordinary answer, e.g. to approve an estimate.
    """
    words = normalise(text)
    if words in STOP_WORDS or _STOP_PHRASES.search(words):
        return "stop"
    if words in START_WORDS and (words != "yes" or opted_out):
        return "start"
    if words in HELP_WORDS:
        return "help"
    return None

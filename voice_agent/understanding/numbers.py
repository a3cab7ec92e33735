"""Spoken numbers to digits: "fourteen hundred" -> 1400, "six two seven oh four" -> 6 2 7 0 4."""

from __future__ import annotations

import re

from text_to_num import alpha2digit

_OH = re.compile(
    r"(?<=[\d\s])\b(?:oh|o)\b(?=\s*(?:\d|zero|one|two|three|four|five|six|seven|eight|nine))"
)


def spoken_digits(text: str, lang: str) -> str:
    """`text` with number words turned into digits (English or Spanish); other words kept."""
    text = _OH.sub("zero", text)
    try:
        return str(alpha2digit(text, "es" if lang == "es" else "en"))
    except (ValueError, IndexError):  # the parser gives up on odd input; keep the words
        return text


def join_runs(tokens: list[str], start: int, *, max_digits: int) -> tuple[str, int]:
    """Digits of the run of numeric tokens from `start` ("64", "20" -> "6420"), and its end."""
    joined, end = "", start
    while end < len(tokens) and tokens[end].isdigit():
        if len(joined) + len(tokens[end]) > max_digits:
            break
        joined += tokens[end]
        end += 1
    return joined, end


def digits_said(said: str, lang: str) -> str | None:
    """The number a caller said as one string of digits ("sixty four twenty" -> "6420")."""
    tokens = spoken_digits(said.lower().replace(",", " "), lang).split()
    digits = [t for t in tokens if t.isdigit()]
    return "".join(digits) or None

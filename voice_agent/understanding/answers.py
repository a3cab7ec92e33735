"""Yes, no and "that's everything": the short answers that decide whether anything happens."""

from __future__ import annotations

import re
from typing import Literal

from voice_agent.engine.intents import classify_yes_no, is_goodbye, normalise

Closing = Literal["done", "more"]

_FILL = r"(?:(?:uh|um|oh|well|so|and|ok|okay|no|nope|nah|sir|ma'am|ya no|ya|thanks|thank you|pues|bueno|este|gracias|no gracias|muchas gracias)\s?)*"  # noqa: E501
_DONE = re.compile(
    rf"^{_FILL}(?:"
    r"that'?s (?:everything|it|all|all i need(?:ed)?|about it)|that is (?:everything|it|all)|"
    r"nothing(?: else)?(?: at all| for now| today)?|i'?m (?:good|fine|all set|set|done)|"
    r"we'?re (?:good|fine|all set|done)|all set|that'?ll be all|that will be all|"
    r"not (?:today|right now|now)|no more|i think that'?s (?:it|all|everything)|"
    r"eso es todo|es todo|nada mas|nada|estoy bien|esta bien asi|ya (?:es todo|esta|estuvo)|"
    r"(?:eso )?seria todo|no necesito nada mas|por ahora no|ahorita no|nada por ahora|"
    r"eso seria todo|muchas gracias|gracias"
    r")"
    rf"(?:\s{_FILL})?(?:\s?(?:bye|goodbye|bye bye|adios|have a (?:good|nice|great) (?:day|one)|que le vaya bien))?$"  # noqa: E501
)
_MORE = re.compile(
    r"^(?:(?:uh|um|oh|well|so)\s)*(?:yes|yeah|yep|sure|actually|one more thing|also|si|claro|"
    r"de hecho|tambien|una cosa mas|otra cosa)\b"
)


def yes_no(said: str) -> Literal["yes", "no"] | None:
    """A clear yes or no (the same rule as the engine's confirmation gate)."""
    return classify_yes_no(said)


def closing(said: str) -> Closing | None:
    """After "anything else?": "done" ("No, that's everything. Thanks."), "more" ("yes", "also
    ..."), or None (the caller went straight to a request)."""
    words = normalise(said)
    if not words:
        return None
    if _DONE.fullmatch(words) or is_goodbye(said) or classify_yes_no(said) == "no":
        return "done"
    if _MORE.match(words):
        return "more"
    return None

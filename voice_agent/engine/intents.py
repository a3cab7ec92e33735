"""Deterministic intent rules: emergencies, "a person please", yes/no and goodbye.

These run on every caller utterance before (and regardless of) the model, so the always-available
exits never depend on a model's judgement. They are pure functions over normalised text: lower
case, punctuation dropped except apostrophes, whitespace collapsed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from voice_agent.engine.language import fold

EmergencyKind = Literal["gas", "carbon_monoxide", "flooding", "electrical_fire"]
YesNo = Literal["yes", "no"]


@dataclass(frozen=True)
class Emergency:
    """A detected emergency and the fixed safety line to say before transferring."""

    kind: EmergencyKind
    instruction: str


SAFETY_INSTRUCTIONS: dict[EmergencyKind, str] = {
    "gas": (
        "If you smell gas, please leave the house now, don't flip any switches or use a lighter, "
        "and call 9 1 1 or your gas company from outside."
    ),
    "carbon_monoxide": (
        "If your carbon monoxide alarm is going off, get everyone outside into fresh air right "
        "away and call 9 1 1 if anyone feels dizzy, sick or has a headache."
    ),
    "flooding": (
        "If water is pouring in, shut off the main water valve if you can do it safely, and "
        "stay away from any outlets or appliances near the water."
    ),
    "electrical_fire": (
        "If you see sparks, smoke or smell burning, stay away from it, switch off the main "
        "breaker only if it's safe to reach, and call 9 1 1 if there is any fire or smoke."
    ),
}
"""The exact lines spoken first; `prompts/safety.md` carries the same wording for the model."""


@functools.lru_cache(maxsize=256)
def normalise(text: str) -> str:
    """Lower-case, drop accents ("sí" -> "si"), map curly apostrophes, drop other punctuation,
    collapse whitespace (cached: a turn's text is checked for several intents)."""
    text = fold(text).replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?:\b{p}\b)" for p in patterns))


_NOT_AN_EMERGENCY = _rx(
    r"gas (?:bill|furnace|water heater|stove|range|dryer|fireplace|line install\w*|price\w*)",
    r"(?:tune ?up|maintenance|estimate|quote)",
    r"flood ?lights?",
    r"spark ?plugs?",
)
_EMERGENCY_RULES: tuple[tuple[EmergencyKind, re.Pattern[str]], ...] = (
    (
        "carbon_monoxide",
        _rx(
            r"(?:carbon monoxide|co|co2) (?:detector|alarm|monitor|sensor)s? (?:is |are |keeps |"
            r"just |has been |have been )?(?:going off|went off|gone off|beeping|sounding|"
            r"chirping|alarming|blaring|screaming)",
            r"carbon monoxide (?:leak\w*|poison\w*|in the (?:house|home|basement)|levels?|reading)",
            r"(?:alarm|detector) (?:for|says|reads|shows) (?:carbon monoxide|co)",
            r"(?:alarma|detector) de monoxido",
            r"monoxido de carbono",
        ),
    ),
    (
        "gas",
        _rx(
            r"smell(?:s|ing)? (?:of |like )?(?:natural )?gas",
            r"gas (?:smell|odou?r|leak\w*)",
            r"leak(?:ing|s)? gas",
            r"(?:hear|hearing) (?:a |the )?(?:gas )?hiss\w*",
            r"rotten eggs?",
            r"gas is leaking",
            r"(?:huele|olor|oliendo) a gas",
            r"(?:fuga|escape) de gas",
        ),
    ),
    (
        "electrical_fire",
        _rx(
            r"spark(?:s|ing|ed)?",
            r"(?:burning|smoke|smoking|melting|melted|scorch\w*) "
            r"(?:smell|outlet|panel|wire\w*|breaker\w*|from|coming|out)",
            r"smell(?:s|ing)? (?:of |like )?(?:something )?burning",
            r"(?:outlet|panel|breaker|wire|wires|wiring|switch) (?:is |are )?"
            r"(?:on fire|smoking|burning|melting)",
            r"(?:electrical|electric) fire",
            r"on fire",
            r"(?:chispas|chispea\w*|echando humo|sale humo|huele a quemado|incendio)",
        ),
    ),
    (
        "flooding",
        _rx(
            r"flood\w*",
            r"water (?:is )?everywhere",
            r"water all over (?:the|my|our) (?:floor|house|place|basement|kitchen|bathroom)",
            r"(?:pipe|pipes|line|main) (?:has |have )?"
            r"(?:burst|bursted|busted|broke|broken|exploded)",
            r"burst (?:pipe|pipes|line|main)",
            r"water (?:is )?(?:gushing|pouring|spraying|pouring in)",
            r"(?:gushing|pouring|spraying) water",
            r"inund\w+",
            r"(?:se (?:rompio|reviento|exploto)) (?:un |el |la )?(?:tubo|tuberia|cano)",
            r"agua por todas partes",
        ),
    ),
)


def detect_emergency(text: str) -> Emergency | None:
    """The emergency the caller describes, if any, with its fixed safety instruction.

    Routine requests ("gas furnace tune-up", "my water heater is old", "gas bill") are not
    emergencies; a routine word does not hide a real alarm in the same sentence ("gas bill
    question, and I smell gas").
    """
    said = normalise(text)
    for kind, pattern in _EMERGENCY_RULES:
        match = pattern.search(said)
        if match and not _only_routine(said, match.group(0)):
            return Emergency(kind=kind, instruction=SAFETY_INSTRUCTIONS[kind])
    return None


def _only_routine(said: str, hit: str) -> bool:
    """Whether the matched words are part of a routine phrase such as "gas furnace"."""
    routine = _NOT_AN_EMERGENCY.search(said)
    return routine is not None and hit in routine.group(0)


_HUMAN = _rx(
    r"agent",
    r"human(?: being)?",
    r"operator",
    r"real (?:person|people)",
    r"live (?:person|agent)",
    r"representative",
    r"rep",
    r"(?:talk|speak|speaking|talking) (?:to|with) (?:someone|somebody|a person|a man|a woman|"
    r"the office|a manager|staff|the owner|a technician)",
    r"someone (?:real|in the office)",
    r"transfer me",
    r"connect me",
    r"(?:hablar|comunicarme|comuniqueme|paseme) con (?:una persona|alguien|un agente|"
    r"la oficina|un representante|una persona real|un humano)",
    r"(?:operadora?|representante|persona real)",
)


def wants_human(text: str) -> bool:
    """Whether the caller asks for a person."""
    return _HUMAN.search(normalise(text)) is not None


_YES_WORDS = (
    r"yes(?: please)?",
    r"yeah",
    r"yep",
    r"yup",
    r"ya",
    r"sure(?: thing)?",
    r"ok(?:ay)?",
    r"correct",
    r"right",
    r"that's (?:right|correct|it|fine|good|perfect)",
    r"that is (?:right|correct)",
    r"sounds (?:good|great|right|perfect)",
    r"(?:go ahead and )?book it",
    r"go ahead",
    r"go for it",
    r"(?:that )?works(?: for me)?",
    r"(?:let's )?do it",
    r"please do",
    r"absolutely",
    r"perfect",
    r"affirmative",
    r"you got it",
    r"exactly",
    r"1",
    r"si(?: por favor| claro| gracias)?",
    r"claro(?: que si)?",
    r"por supuesto",
    r"correcto",
    r"(?:esta|todo) bien",
    r"de acuerdo",
    r"dale",
    r"orale",
    r"eso es",
    r"asi es",
    r"(?:esta )?perfecto",
    r"reservelo",
    r"adelante",
)
_NO_WORDS = (
    r"no(?: thanks| thank you)?",
    r"nope",
    r"nah",
    r"wrong",
    r"that's wrong",
    r"that's not (?:right|correct|it)",
    r"that is not (?:right|correct)",
    r"not (?:quite|really|right|correct)",
    r"incorrect",
    r"negative",
    r"don't(?: book it)?",
    r"do not(?: book it)?",
    r"no way",
    r"not that one",
    r"cancel(?: it| that)?",
    r"2",
    r"no gracias",
    r"incorrecto",
    r"(?:eso )?no es (?:correcto|asi)",
    r"para nada",
    r"todavia no",
)
_FILLER = (
    r"(?:(?:uh|um|oh|well|so|and|sir|ma'am|please|thanks|thank you|este|pues|bueno|senor|"
    r"senora|gracias|por favor)\s?)*"
)
_YES = re.compile(
    rf"^{_FILLER}(?:{'|'.join(_YES_WORDS)})(?: {_FILLER}(?:{'|'.join(_YES_WORDS)}))*"
    rf"(?: {_FILLER})?$"
)
_NO = re.compile(
    rf"^{_FILLER}(?:{'|'.join(_NO_WORDS)})(?: {_FILLER}(?:{'|'.join(_NO_WORDS)}))*"
    rf"(?: {_FILLER})?$"
)


def classify_yes_no(text: str) -> YesNo | None:
    """A clean yes or no (words or DTMF 1/2), else `None`.

    Only an answer that is nothing but agreement (or refusal) counts: "yes but change the
    time" or "yes no" are `None`, so the confirmation gate never books on a hedged answer.
    """
    said = normalise(text)
    if not said:
        return None
    yes, no = _YES.fullmatch(said) is not None, _NO.fullmatch(said) is not None
    if yes == no:
        return None
    return "yes" if yes else "no"


_GOODBYE = _rx(
    r"bye",
    r"goodbye",
    r"good bye",
    r"bye bye",
    r"see you",
    r"that's all",
    r"that is all",
    r"that's it (?:for (?:now|today)|thanks|thank you)",
    r"have a (?:good|nice|great) (?:day|one|night|evening)",
    r"(?:i'm|i am|we're|we are) (?:all )?(?:set|done|good)",
    r"nothing else",
    r"no(?:thing)? (?:more|else)(?: thanks| thank you)?",
    r"hang(?:ing)? up",
    r"talk (?:to you )?later",
    r"adios",
    r"hasta luego",
    r"(?:eso )?es todo",
    r"nada mas",
    r"(?:no )?(?:necesito|ocupo) nada mas",
)


def is_goodbye(text: str) -> bool:
    """Whether the caller is ending the call."""
    return _GOODBYE.search(normalise(text)) is not None

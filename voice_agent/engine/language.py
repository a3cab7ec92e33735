"""Which language the caller speaks: a small, conservative English/Spanish detector.

Twilio's `<Gather>` recognises one language at a time, so a Spanish speaker on an English
line comes through as Spanish words (often without accents) or as English-sounding noise.
The detector switches only on clear evidence: an explicit request ("español", "en español",
"do you speak Spanish") or at least two Spanish marker words that outnumber the English ones.
A lone "no", "sí" or a name like "José" never switches.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

Language = Literal["en", "es"]
SPANISH_MARKER = "[caller language: es]"
"""Line the engine puts before the Spanish prompt addition; guided intake reads it."""

_SPANISH_WORDS = frozenset(
    """
    hola buenos buenas dias tardes noches gracias favor necesito necesita quiero queria
    quisiera tengo tiene tenemos mi mis su sus el los las una unos unas del al es esta estan
    estoy esta funciona funcionan sirve descompuesto roto rota aire acondicionado calefaccion
    calentador agua caliente fria frio casa cita citas puede pueden podria ayuda ayudarme
    ayudar llamo llamando nombre direccion calle senor senora pero porque cuando donde como
    que para con hay muy tambien ahora manana hoy semana lunes martes miercoles jueves
    viernes sabado domingo fuga gotea goteando tuberia bano cocina luz electricidad
    reparar reparacion servicio tecnico alguien hablar habla hablo espanol hacer
    """.split()
)
_ENGLISH_WORDS = frozenset(
    """
    the i i'm my is it it's to and of for with this that on in at you your we our have has
    need needs not isn't doesn't don't working work broken please can could would like want
    hi hello hey yes yeah thanks thank water heater air furnace appointment there what when
    """.split()
)
_ASK_SPANISH = re.compile(
    r"^(?:(?:en|un|yo|si|ah|eh|oh|hola|uh|um)\s+)*(?:espanol|spanish)(?:\s+(?:por favor|please))?$"
    r"|\b(?:hablo|habla|hablas|hablan|en|speak|speaks|in)\s+(?:espanol|spanish)\b"
    r"|\bespanol\b"
)
_ASK_ENGLISH = re.compile(
    r"^(?:(?:en|in|speak)\s+)?(?:english|ingles)(?:\s+(?:please|por favor))?$"
    r"|\b(?:hablo|habla|speak|in|en)\s+(?:english|ingles)\b"
)


def fold(text: str) -> str:
    """Lower case, accents removed ("Sí, mañana" -> "si, manana")."""
    if text.isascii():  # nothing to decompose (most English turns)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=256)
def _words(text: str) -> tuple[str, ...]:
    """The words of `text`, folded (a turn's text is looked at several times: cached)."""
    return tuple(re.findall(r"[a-z']+", fold(text).replace("\u2019", "'")))


def asks_for_spanish(text: str) -> bool:
    """The caller asks for Spanish ("español", "en español", "do you speak Spanish?")."""
    return _ASK_SPANISH.search(" ".join(_words(text))) is not None


def asks_for_english(text: str) -> bool:
    """The caller asks for English ("English please", "en inglés")."""
    return _ASK_ENGLISH.search(" ".join(_words(text))) is not None


def is_spanish(text: str) -> bool:
    """Whether `text` is clearly Spanish (see the module docstring)."""
    words = _words(text)
    if not words:
        return False
    if asks_for_spanish(text):
        return True
    spanish = sum(1 for w in words if w in _SPANISH_WORDS)
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    if "por favor" in " ".join(words) or "no funciona" in " ".join(words):
        spanish += 1
    return spanish >= 2 and spanish > 2 * english


def detect_switch(text: str, current: Language) -> Language | None:
    """The language to switch to after `text`, or None to stay in `current`."""
    if current == "en" and is_spanish(text):
        return "es"
    if current == "es" and asks_for_english(text) and not asks_for_spanish(text):
        return "en"
    return None


_REQUEST_WORDS = frozenset(
    """
    do you speak speaks can i we is there anyone someone who habla hablo hablas usted alguien
    que se puede puedo en in un please por favor espanol spanish english ingles si yes hola
    hi hello uh um oh eh ah yo quiero want prefer prefiero
    """.split()
)


def only_language_request(text: str) -> bool:
    """The utterance does nothing but choose a language ("español", "English please")."""
    words = _words(text)
    wants = asks_for_spanish(text) or asks_for_english(text)
    return wants and all(w in _REQUEST_WORDS for w in words)

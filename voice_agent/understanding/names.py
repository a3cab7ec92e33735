"""A caller's name as said: prefixes and fillers dropped, accents and spelling kept."""

from __future__ import annotations

import re

from voice_agent.engine.intents import normalise

_LEAD = re.compile(
    r"^(?:(?:um+|uh+|er|oh|well|yes|yeah|sure|okay|ok|hi|hello|no|nope|sorry|si|sí|bueno|pues|este|claro)"
    r"[\s,.!]+)*"
    r"(?:(?:my|the) (?:full )?name(?: is|'s)|it's|it is|this is|i'm|i am|name's|"
    r"me llamo|mi nombre es|soy|habla|es|le habla|a nombre de)?\s*",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"[\s,.!]*(?:please|thanks|thank you|por favor|gracias|here|speaking)?[\s,.!?]*$",
    re.IGNORECASE,
)
_FIRST_LAST = re.compile(
    r"^(?:my )?first name(?: is|'s)? (?P<first>.+?),? (?:and )?(?:my )?(?:last name|surname)"
    r"(?: is|'s)? (?P<last>.+)$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_NOT_NAMES = frozenset(
    "i you we my the a an and y de la el is it no not yes um uh don't know sure address "
    "street calle avenue drive road problem need want ac furnace leak heater hmm hm mm mhm "
    "ok okay yeah yep nope nah sure hello hi sorry wait thanks what huh pardon bueno gracias "
    "hola perdon mande".split()
)
_NEVER_IN_NAMES = frozenset(
    "why what how where when who need needs want is are do does that this your my mi su "
    "funciona sirve no not know se calentador aire".split()
)
_VOWEL = re.compile(r"[aeiouyáéíóúüàèìòùâêîôûäëïöÿ]", re.IGNORECASE)
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "van", "von", "da", "di", "le", "st"})
MAX_WORDS = 5


def parse_name(said: str, lang: str = "en") -> tuple[str, str] | None:
    """(first, last) exactly as said ("José Ramírez" keeps its accents); None if it is not a name.

    Lower-case words are capitalised; anything the caller spelled otherwise is kept. In Spanish,
    three words are one first name and two surnames.
    """
    text = _TAIL.sub("", _LEAD.sub("", said.strip(), count=1))
    spelled = _FIRST_LAST.match(text)  # "first name Lena last name Kowalski"
    if spelled:
        text = f"{spelled['first']} {spelled['last']}"
    words = _WORD.findall(text)
    if any(ch.isdigit() for ch in text) or not words or len(words) > MAX_WORDS:
        return None
    plain = [normalise(w) for w in words]
    if plain[0] in _NOT_NAMES or plain[-1] in _NOT_NAMES - _PARTICLES:
        return None
    if any(w in _NEVER_IN_NAMES for w in plain):
        return None
    if any(len(w) >= 3 and not _VOWEL.search(w) for w in words):  # "asdf qwer zxcv", "brr"
        return None
    shown = [
        _capital(w) if not (w.lower() in _PARTICLES and 0 < i < len(words) - 1) else w.lower()
        for i, w in enumerate(words)
    ]
    if len(shown) == 1:
        return shown[0], ""
    split = _surname_start(shown, lang)
    return " ".join(shown[:split]), " ".join(shown[split:])


def _surname_start(words: list[str], lang: str) -> int:
    n = len(words)
    if n >= 3 and words[n - 2] in _PARTICLES:  # "van Beethoven"
        return n - 3 if n >= 4 and words[n - 3] in _PARTICLES else n - 2  # "de la Cruz"
    if lang == "es" and len(words) >= 3:
        return len(words) - 2
    return len(words) - 1


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:] if word.islower() else word

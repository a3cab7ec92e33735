"""The caller-facing line catalogue: one module per language, keyed by stable ids.

`line(id, lang, **values)` gives a line in the caller's language with `{placeholders}` filled.
Every id exists in every language (a test enforces it, placeholders included), so changing an
English line can never silently drop its Spanish. `voice_agent.engine.i18n` builds its
English-text lookup from these tables for code that still passes English lines around.
"""

from __future__ import annotations

import re

from voice_agent.lines.en import EN
from voice_agent.lines.es import ES

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "es": ES}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def line(key: str, lang: str, /, **values: object) -> str:
    """The line `key` in `lang` (English for an unknown language); a missing key raises."""
    template = CATALOGUES.get(lang, EN)[key]
    if not values:
        return template
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def join_list(items: list[str], lang: str, *, every: bool = False) -> str:
    """ "a, b or c" ("a, b o c" in Spanish); with `every`, "a, b and c" ("a, b y c")."""
    if len(items) <= 1:
        return "".join(items)
    word = ("y" if every else "o") if lang == "es" else ("and" if every else "or")
    return f"{', '.join(items[:-1])} {word} {items[-1]}"

"""Spanish versions of the fixed caller-facing lines, looked up by their English text.

`t(line, lang, **values)` gives one line in the caller's language (English lines are the keys,
so the code keeps reading naturally). `translate(text, lang)` turns a reply composed of known
lines ("Sorry, I couldn't book that. I can take a message ...") into Spanish sentence by
sentence; `{placeholders}` in a key match any text, and a `{list}` value has its final " or "
turned into " o ". Text it does not know (model output, already-Spanish read-backs) is left
as it is.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from voice_agent.lines.en import EN
from voice_agent.lines.es import ES

log = logging.getLogger(__name__)

SPANISH: dict[str, str] = {EN[key]: ES[key] for key in EN}
"""English line -> Spanish line, from the id-keyed catalogue (`voice_agent.lines`)."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def t(line: str, lang: str, /, **values: object) -> str:
    """`line` (an English template) in `lang`, with `{placeholders}` filled from `values`."""
    template = SPANISH.get(line) if lang == "es" else line
    if template is None:
        log.debug("no Spanish line for %r", line[:60])
        template = line
    if not values:
        return template
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def t_all(lines: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """Each of `lines` in `lang` (for line sets such as fillers)."""
    return tuple(t(line, lang) for line in lines)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    compiled: list[tuple[re.Pattern[str], str]] = []
    for english in sorted(SPANISH, key=len, reverse=True):
        if len(english) < 12 or english.startswith((" ", ",")):
            continue  # fragments are only translated on purpose, with `t`
        parts = _PLACEHOLDER.split(english)
        last = len(parts) - 2  # a placeholder that ends the line takes the rest of it
        regex = "".join(
            (f"(?P<{part}>.+)" if i == last and not parts[-1] else f"(?P<{part}>.+?)")
            if i % 2
            else re.escape(part)
            for i, part in enumerate(parts)
        )
        compiled.append((re.compile(regex), SPANISH[english]))
    return tuple(compiled)


def _fill(template: str, match: re.Match[str]) -> str:
    values = match.groupdict()
    if "list" in values:
        head, sep, tail = values["list"].rpartition(" or ")
        values["list"] = f"{head} o {tail}" if sep else tail
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def translate(text: str, lang: str) -> str:
    """A reply made of known English lines, in `lang` (unknown text is kept as it is)."""
    if lang != "es" or not text:
        return text
    exact = SPANISH.get(text)
    if exact is not None:
        return exact
    for pattern, template in _patterns():
        text = pattern.sub(lambda m, tpl=template: _fill(tpl, m), text)  # type: ignore[misc]
    return text

"""The labelled corpus (tests/engine/corpus): size, Spanish share, rate and no wrong actions;
the line catalogue: every id in both languages with the same placeholders."""

from __future__ import annotations

from pathlib import Path

from voice_agent.lines import CATALOGUES, PLACEHOLDER
from voice_agent.understanding.corpus import load, score

CORPUS = Path(__file__).parent / "corpus"


def test_corpus_is_large_and_a_quarter_spanish() -> None:
    cases = load(CORPUS)
    assert len(cases) >= 400
    assert sum(1 for _, lang, _, _ in cases if lang == "es") >= len(cases) / 4
    assert {state for state, *_ in cases} >= {"intent", "yes_no", "closing", "window", "name"}


def test_understanding_meets_the_goal_with_no_wrong_actions() -> None:
    scores = score(CORPUS)
    total = sum(s.total for s in scores.values())
    understood = sum(s.understood for s in scores.values())
    assert understood / total >= 0.97, [m for s in scores.values() for m in s.misses]
    assert sum(s.wrong_actions for s in scores.values()) == 0


def test_every_line_exists_in_every_language_with_the_same_placeholders() -> None:
    english = CATALOGUES["en"]
    for lang, lines in CATALOGUES.items():
        assert set(lines) == set(english), lang
        for key, text in lines.items():
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key
    assert len(set(english.values())) == len(english)  # the English lookup stays one-to-one

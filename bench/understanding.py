"""Guided intake's understanding over the labelled corpus: rate per state and wrong actions.

Run: .venv/bin/python bench/understanding.py [--misses]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_agent.understanding.corpus import score  # noqa: E402

CORPUS = ROOT / "tests" / "engine" / "corpus"


def main() -> None:
    report("labelled corpus", CORPUS)
    print()
    report("held-out set (written after the parsers)", CORPUS / "holdout")


def report(title: str, folder: Path) -> None:
    print(title)
    scores = score(folder)
    total = sum(s.total for s in scores.values())
    understood = sum(s.understood for s in scores.values())
    spanish = sum(s.spanish for s in scores.values())
    wrong = sum(s.wrong_actions for s in scores.values())
    print(f"{'state':<10} {'cases':>6} {'es':>4} {'understood':>11} {'wrong actions':>14}")
    for state, s in sorted(scores.items()):
        rate = 100 * s.understood / s.total
        print(f"{state:<10} {s.total:>6} {s.spanish:>4} {rate:>10.1f}% {s.wrong_actions:>14}")
    print(f"{'all':<10} {total:>6} {spanish:>4} {100 * understood / total:>10.1f}% {wrong:>14}")
    print(f"Spanish share: {100 * spanish / total:.1f}%")
    if "--misses" in sys.argv:
        for state, s in sorted(scores.items()):
            for lang, said, got, expected in s.misses:
                print(f"  {state} [{lang}] {said!r}: got {got!r}, expected {expected!r}")


if __name__ == "__main__":
    main()

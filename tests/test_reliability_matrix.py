"""docs/RELIABILITY.md stays true: every §8 row is listed and every test it names exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / "docs" / "RELIABILITY.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


@cache
def names_in(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text("utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def rows() -> dict[int, str]:
    found = {}
    for line in MATRIX.read_text("utf-8").splitlines():
        match = re.match(r"\| (\d+) \|", line)
        if match:
            found[int(match.group(1))] = line
    return found


def test_every_row_of_the_shared_matrix_is_listed() -> None:
    assert sorted(rows()) == list(range(1, 32))


def test_every_named_test_exists_and_every_row_has_one_or_says_pending() -> None:
    missing = []
    for number, line in rows().items():
        live = line.split("*pending")[0]  # names after "pending" live on another branch
        references = REFERENCE.findall(live)
        if not references:
            assert "pending" in line or "bench/" in line, f"row {number} names no test"
        for path, name in references:
            if not (ROOT / path).exists() or name not in names_in(path):
                missing.append(f"row {number}: {path}::{name}")
    for path, name in REFERENCE.findall(MATRIX.read_text("utf-8").split("Also proven")[1]):
        if name not in names_in(path):
            missing.append(f"{path}::{name}")
    assert missing == []

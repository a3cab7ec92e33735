"""`voice-agent scenarios run`: a table, and the exit code says whether all went as expected."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voice_agent.cli import app

PASSING = """
name: out of area caller is not booked
caller: {phone: "+12125550160"}
say: [my water heater is leaking, Sam Rivera, "400 Lake Shore Drive, Chicago, IL 60611", no]
expect: {outcome: out_of_area, no_job: true}
"""
FAILING = PASSING.replace("name: out of area caller is not booked", "name: wrongly expects a job")
FAILING = FAILING.replace("no_job: true", "job: {type: water}")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The command configures the root logger (level, handler); put it back afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: object) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_passing_file_exits_zero_with_a_table(env: Path) -> None:
    (env / "ok.yaml").write_text(PASSING)
    result = CliRunner().invoke(app, ["scenarios", "run", str(env / "ok.yaml")])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "out of area caller is not booked" in result.output
    assert "1 of 1 scenarios as expected" in result.output


def test_a_failure_exits_one_and_says_why(env: Path) -> None:
    (env / "both.yaml").write_text(f"scenarios:\n{_indent(PASSING)}\n{_indent(FAILING)}\n")
    result = CliRunner().invoke(app, ["scenarios", "run", str(env / "both.yaml")])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "expected a job, none was" in result.output
    assert "1 of 2 scenarios as expected" in result.output


def test_a_bad_file_is_a_clear_error(env: Path) -> None:
    (env / "bad.yaml").write_text("name: x\nexpect: {outcome: maybe}\n")
    result = CliRunner().invoke(app, ["scenarios", "run", str(env / "bad.yaml")])
    assert result.exit_code == 2
    assert "bad.yaml: expect.outcome" in result.output


def test_dry_run_without_an_hcp_key_refuses(env: Path) -> None:
    (env / "ok.yaml").write_text(PASSING)
    result = CliRunner().invoke(app, ["scenarios", "run", "--dry-run", str(env / "ok.yaml")])
    assert result.exit_code == 2
    assert "dry-run needs an HCP API key" in result.output


def _indent(block: str) -> str:
    lines = block.strip().splitlines()
    return "\n".join(("  - " if i == 0 else "    ") + line for i, line in enumerate(lines))

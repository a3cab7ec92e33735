"""`voice-agent sandbox ...` commands (uvicorn.run is replaced; nothing listens)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hcp.sandbox import SandboxState
from voice_agent.cli import app
from voice_agent.cli import sandbox as sandbox_cli


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(asgi: Any, **kwargs: Any) -> None:
        calls.append({"app": asgi, **kwargs})

    monkeypatch.setattr(sandbox_cli.uvicorn, "run", fake_run)
    return calls


def test_sandbox_with_port_serves_seeded_data(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    db = tmp_path / "sb.db"
    result = CliRunner().invoke(app, ["sandbox", "--port", "8123", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123" in result.output and "HCP_API_KEY=sandbox" in result.output
    assert served[0]["port"] == 8123
    assert served[0]["app"].state.sandbox.api_key == "sandbox"
    assert len(SandboxState.open(db).all("customers")) >= 50


def test_serve_empty_with_key(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    db = tmp_path / "sb.db"
    args = ["sandbox", "serve", "--port", "8124", "--api-key", "test-hcp-key-not-real", "--empty"]
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    sandbox = served[0]["app"].state.sandbox
    assert sandbox.api_key == "test-hcp-key-not-real"
    assert sandbox.state.all("customers") == []
    assert sandbox.company["time_zone"]  # an empty sandbox still has a company


def test_seed_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    db = tmp_path / "sb.db"
    first = CliRunner().invoke(app, ["sandbox", "seed", "--db", str(db)])
    assert first.exit_code == 0 and "56 customers" in first.output
    again = CliRunner().invoke(app, ["sandbox", "seed", "--db", str(db)])
    assert again.exit_code == 1
    forced = CliRunner().invoke(app, ["sandbox", "seed", "--db", str(db), "--force"])
    assert forced.exit_code == 0


def test_book_online_on_the_db(tmp_path: Path) -> None:
    db = tmp_path / "sb.db"
    args = ["sandbox", "book-online", "--name", "Jordan Reyes", "--phone", "217-555-0177"]
    args += ["--address", "77 Birch Dr, Springfield, IL 62701", "--db", str(db)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("booked job job_")
    jobs = [j for j in SandboxState.open(db).all("jobs") if j["lead_source"] == "Online Booking"]
    assert len(jobs) == 1


def test_book_online_rejects_bad_address(tmp_path: Path) -> None:
    args = ["sandbox", "book-online", "--name", "A B", "--phone", "2175550177"]
    result = CliRunner().invoke(
        app, [*args, "--address", "somewhere", "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "order",
    [
        [
            "sandbox",
            "--port",
            "8125",
            "--api-key",
            "test-hcp-key-not-real",
            "--strict-key",
            "serve",
        ],
        [
            "sandbox",
            "serve",
            "--port",
            "8125",
            "--api-key",
            "test-hcp-key-not-real",
            "--strict-key",
        ],
        [
            "sandbox",
            "--port",
            "8125",
            "serve",
            "--api-key",
            "test-hcp-key-not-real",
            "--strict-key",
        ],
    ],
)
def test_serve_options_before_or_after_serve(
    tmp_path: Path, served: list[dict[str, Any]], order: list[str]
) -> None:
    result = CliRunner().invoke(app, [*order, "--db", str(tmp_path / "sb.db")])
    assert result.exit_code == 0, result.output
    assert served[0]["port"] == 8125
    sandbox = served[0]["app"].state.sandbox
    assert sandbox.api_key == "test-hcp-key-not-real"
    assert sandbox.strict_key == 401
    assert "http://127.0.0.1:8125" in result.output and "strict key" in result.output


def test_serve_option_after_serve_wins(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    args = ["sandbox", "--port", "8126", "serve", "--port", "8127", "--db", str(tmp_path / "x.db")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert served[0]["port"] == 8127
    assert served[0]["app"].state.sandbox.strict_key is None


def test_serve_options_before_another_subcommand_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["sandbox", "--port", "8126", "seed", "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2
    assert "--port before `seed` would be ignored" in result.output

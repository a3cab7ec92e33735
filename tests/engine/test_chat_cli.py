"""`voice-agent chat` scripted through stdin on the embedded defaults."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voice_agent.cli import app

ENV_PREFIXES = ("OPENAI_", "HCP_", "TWILIO_", "DATABASE_URL", "VOICE_AGENT_", "BUSINESS_")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import os

    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    yield tmp_path
    root.setLevel(saved[0])  # the command configures logging for the whole process
    root.handlers[:] = saved[1]


def test_scripted_chat_books_on_the_sandbox(clean_env: Path) -> None:
    said = ["My kitchen drain is clogged", "Jane Doe", "12 Birch Drive, Chatham, IL 62629"]
    lines = "\n".join([*said, "first", "yes", "bye"]) + "\n"
    result = CliRunner().invoke(app, ["chat", "--from", "+15551230001"], input=lines)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[1] == "Caller: My kitchen drain is clogged"
    assert [line.split(":", 1)[0] for line in lines[:4]] == ["Agent", "Caller", "Agent", "Caller"]
    replies = [line.removeprefix("Agent: ") for line in lines if line.startswith("Agent: ")]
    assert (
        replies[0]
        == "Hi there, thanks for calling Bright Oak Home Services. You're speaking with an "
        "automated assistant. How can I help you today?"
    )
    assert replies[1] == "Can I have your first and last name, please?"
    assert replies[3].startswith("I have between")
    assert replies[4].startswith("Just to confirm: Drain cleaning at 12 Birch Drive")
    assert replies[5].startswith("You're booked: Drain cleaning")
    assert replies[-1] == "Thanks for calling Bright Oak Home Services. Goodbye!"
    assert (clean_env / "data" / "hcp-sandbox.db").exists()
    assert (clean_env / "data" / "voice-agent.db").exists()


def test_chat_stops_at_end_of_input(clean_env: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--from", "+15551230001"], input="")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        "Agent: Hi there, thanks for calling Bright Oak Home Services. You're speaking with an "
        "automated assistant. How can I help you today?"
    ]


def test_end_of_input_ends_the_conversation(clean_env: Path) -> None:
    """A piped script that stops mid-call hangs up; the dashboard must not show it live."""
    import asyncio

    from voice_agent.storage import open_store

    result = CliRunner().invoke(
        app, ["chat", "--from", "+15551230001"], input="My kitchen drain is clogged\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Agent: Can I have your first and last name, please?"

    async def conversations() -> list[tuple[str, bool]]:
        store = open_store(f"sqlite+aiosqlite:///{clean_env / 'data' / 'voice-agent.db'}")
        try:
            rows = await store.list_conversations()
            return [(c.status, c.ended_at is not None) for c in rows]
        finally:
            await store.close()

    assert asyncio.run(conversations()) == [("completed", True)]

"""`voice-agent db upgrade` and `voice-agent credentials …` through the real command line."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from voice_agent.cli import app
from voice_agent.errors import VaultError
from voice_agent.settings import Settings
from voice_agent.storage.migrate import head_revision
from voice_agent.storage.sql import open_store
from voice_agent.vault import Vault, generate_master_key

SECRET = "test-hcp-key-not-real-5d21"
MASTER = generate_master_key()


@pytest.fixture
def env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated working directory (no `.env`) whose data dir does not exist yet."""
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("VOICE_AGENT_MASTER_KEY", MASTER)
    return data


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def read_secret(data: Path, master: str) -> str | None:
    async def main() -> str | None:
        store = open_store(f"sqlite+aiosqlite:///{data / 'voice-agent.db'}")
        try:
            secret = await Vault(store, base64.b64decode(master)).get_secret("hcp")
        finally:
            await store.close()
        return None if secret is None else secret.get_secret_value()

    return asyncio.run(main())


def test_db_upgrade_creates_the_data_dir_and_reports(env: Path) -> None:
    first = run("db", "upgrade")
    assert first.exit_code == 0, first.output
    head = head_revision()  # the newest migration, whichever branch added it
    assert f"upgraded from empty to revision {head}" in first.output
    assert (env / "voice-agent.db").is_file()
    second = run("db", "upgrade")
    assert f"already at revision {head}" in second.output
    assert run("db", "status").exit_code == 0


def test_set_from_hidden_prompt_never_echoes_the_key(env: Path) -> None:
    run("db", "upgrade")
    result = run("credentials", "set", "hcp", input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "ending 5d21" in result.output and "*.housecallpro.com" in result.output
    assert read_secret(env, MASTER) == SECRET

    listed = run("credentials", "list")
    assert listed.exit_code == 0 and SECRET not in listed.output
    assert "hcp" in listed.output and "…5d21" in listed.output
    assert "api_key_token_prefix" in listed.output and "used=20" in listed.output


def test_set_from_stdin_with_domains(env: Path) -> None:
    run("db", "upgrade")
    result = run(
        "credentials",
        "set",
        "hcp",
        "--stdin",
        "--domains",
        "127.0.0.1,localhost",
        input=SECRET,
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and "127.0.0.1, localhost" in result.output
    assert "used=never" in run("credentials", "list").output


def test_the_key_cannot_be_passed_as_an_argument(env: Path) -> None:
    run("db", "upgrade")
    result = run("credentials", "set", "hcp", SECRET)
    assert result.exit_code == 2
    assert read_secret(env, MASTER) is None


def test_clear_errors(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_migrated = run("credentials", "set", "hcp", "--stdin", input=SECRET)
    assert not_migrated.exit_code == 1 and "voice-agent db upgrade" in not_migrated.output
    run("db", "upgrade")
    assert run("credentials", "set", "twilio", "--stdin", input=SECRET).exit_code == 2
    monkeypatch.delenv("VOICE_AGENT_MASTER_KEY")
    no_key = run("credentials", "set", "hcp", "--stdin", input=SECRET)
    assert no_key.exit_code == 1 and "VOICE_AGENT_MASTER_KEY is not set" in no_key.output
    assert SECRET not in no_key.output


def test_delete(env: Path) -> None:
    run("db", "upgrade")
    run("credentials", "set", "hcp", "--stdin", input=SECRET)
    assert run("credentials", "delete", "hcp").exit_code == 0
    assert "no credentials stored" in run("credentials", "list").output
    missing = run("credentials", "delete", "hcp")
    assert missing.exit_code == 1 and "no hcp credential" in missing.output


def test_rotate_with_a_generated_key(env: Path) -> None:
    run("db", "upgrade")
    run("credentials", "set", "hcp", "--stdin", input=SECRET)
    result = run("credentials", "rotate-master-key")
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 credential" in result.output and SECRET not in result.output
    new_key = result.output.strip().splitlines()[-1]
    assert len(base64.b64decode(new_key, validate=True)) == 32
    assert read_secret(env, new_key) == SECRET
    with pytest.raises(VaultError, match="VOICE_AGENT_MASTER_KEY"):
        read_secret(env, MASTER)


def test_rotate_with_a_key_from_stdin(env: Path) -> None:
    run("db", "upgrade")
    run("credentials", "set", "hcp", "--stdin", input=SECRET)
    new_key = generate_master_key()
    result = run("credentials", "rotate-master-key", "--new-key-stdin", input=new_key)
    assert result.exit_code == 0, result.output
    assert new_key not in result.output
    assert read_secret(env, new_key) == SECRET


def test_new_master_key_prints_a_fresh_key(env: Path) -> None:
    first, second = run("credentials", "new-master-key"), run("credentials", "new-master-key")
    assert first.exit_code == 0
    assert first.output != second.output
    assert len(base64.b64decode(first.output.strip(), validate=True)) == 32

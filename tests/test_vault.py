"""The credentials vault: AES-256-GCM round trips, and every way a row can go wrong."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr

from voice_agent.errors import VaultError
from voice_agent.settings import Settings
from voice_agent.storage.migrate import upgrade
from voice_agent.storage.sql import SqlStore, open_store
from voice_agent.vault import Vault, decode_master_key, generate_master_key, key_id

SECRET = "test-hcp-key-not-real-7f3a9c"
DOMAINS = ("*.housecallpro.com",)
KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def _database_files(directory: Path) -> list[bytes]:
    """The bytes of the SQLite database and its WAL/SHM files."""
    return [path.read_bytes() for path in directory.glob("vault.db*")]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'vault.db'}"
    await upgrade(url)
    opened = open_store(url)
    yield opened
    await opened.close()


async def test_round_trip_records_use(store: SqlStore) -> None:
    vault = Vault(store, KEY)
    record = await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    assert (record.type, record.service, record.allowed_domains) == (
        "api_key_token_prefix",
        "hcp",
        DOMAINS,
    )
    assert record.last4 == SECRET[-4:] and record.key_id == key_id(KEY) == vault.key_id
    assert len(record.nonce) == 12 and SECRET.encode() not in record.ciphertext
    assert (await store.get_credential("hcp")).used_at is None  # type: ignore[union-attr]

    secret = await vault.get_secret("hcp")
    assert secret is not None and secret.get_secret_value() == SECRET
    assert (await store.get_credential("hcp")).used_at is not None  # type: ignore[union-attr]
    assert await vault.get_secret("twilio") is None


async def test_master_key_as_base64_secret(store: SqlStore) -> None:
    text = SecretStr(base64.b64encode(KEY).decode())
    await Vault(store, text).put("hcp", SECRET, allowed_domains=DOMAINS)
    assert (await Vault(store, KEY).get_secret("hcp")) is not None


async def test_fresh_nonce_every_time(store: SqlStore) -> None:
    vault = Vault(store, KEY)
    first = await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    second = await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    assert first.id == second.id  # replaced in place
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext
    assert len(await store.list_credentials()) == 1


@pytest.mark.parametrize("field", ["ciphertext", "nonce"])
async def test_flipped_byte_fails(store: SqlStore, field: str) -> None:
    vault = Vault(store, KEY)
    record = await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    value = bytearray(getattr(record, field))
    value[3] ^= 0x01
    await store.put_credential(replace(record, **{field: bytes(value)}))
    with pytest.raises(VaultError, match="altered"):
        await vault.get_secret("hcp")


async def test_widened_domains_fail(store: SqlStore) -> None:
    vault = Vault(store, KEY)
    record = await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    await store.put_credential(replace(record, allowed_domains=("evil.example.com",)))
    with pytest.raises(VaultError):
        await vault.get_secret("hcp")


async def test_wrong_master_key_fails(store: SqlStore) -> None:
    record = await Vault(store, KEY).put("hcp", SECRET, allowed_domains=DOMAINS)
    with pytest.raises(VaultError, match="VOICE_AGENT_MASTER_KEY has key id"):
        await Vault(store, OTHER_KEY).get_secret("hcp")
    # Even with the key id forged to match, the wrong key cannot decrypt.
    await store.put_credential(replace(record, key_id=key_id(OTHER_KEY)))
    with pytest.raises(VaultError, match="VOICE_AGENT_MASTER_KEY is wrong"):
        await Vault(store, OTHER_KEY).get_secret("hcp")


async def test_swapped_row_fails(store: SqlStore) -> None:
    vault = Vault(store, KEY)
    a = await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    b = await vault.put("other", "test-other-key-not-real", allowed_domains=DOMAINS)
    await store.put_credential(replace(b, ciphertext=a.ciphertext, nonce=a.nonce))
    with pytest.raises(VaultError, match="copied from another row"):
        await vault.get_secret("other")
    assert (await vault.get_secret("hcp")) is not None


async def test_rotation_re_encrypts_and_retires_the_old_key(store: SqlStore) -> None:
    vault = Vault(store, KEY)
    await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    await vault.put("other", "test-other-key-not-real", allowed_domains=DOMAINS)
    assert await vault.rotate(OTHER_KEY) == 2
    assert vault.key_id == key_id(OTHER_KEY)
    assert {r.key_id for r in await store.list_credentials()} == {key_id(OTHER_KEY)}
    fresh = await Vault(store, OTHER_KEY).get_secret("hcp")
    assert fresh is not None and fresh.get_secret_value() == SECRET
    with pytest.raises(VaultError):
        await Vault(store, KEY).get_secret("hcp")


async def test_rotation_is_all_or_nothing(store: SqlStore) -> None:
    vault = Vault(store, KEY)
    await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    bad = await vault.put("other", "test-other-key-not-real", allowed_domains=DOMAINS)
    await store.put_credential(replace(bad, ciphertext=bad.ciphertext[:-1] + b"\x00"))
    with pytest.raises(VaultError):
        await vault.rotate(OTHER_KEY)
    assert {r.key_id for r in await store.list_credentials()} == {key_id(KEY)}
    assert (await vault.get_secret("hcp")) is not None
    with pytest.raises(VaultError, match="same"):
        await vault.rotate(KEY)


async def test_plaintext_never_reaches_disk_or_logs(
    store: SqlStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vault = Vault(store, KEY)
    await vault.put("hcp", SECRET, allowed_domains=DOMAINS)
    await vault.get_secret("hcp")
    await vault.rotate(OTHER_KEY)
    await store.close()
    contents = _database_files(tmp_path)
    assert contents and all(SECRET.encode() not in data for data in contents)
    assert SECRET not in caplog.text and base64.b64encode(KEY).decode() not in caplog.text
    assert "stored hcp credential" in caplog.text


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (b"short", "must be 32 bytes"),
        (SecretStr("not base64!"), "must be base64"),
        (SecretStr(base64.b64encode(b"x" * 16).decode()), "got 16"),
    ],
)
def test_bad_master_keys_are_named(key: bytes | SecretStr, message: str) -> None:
    with pytest.raises(VaultError, match=message) as info:
        decode_master_key(key)
    assert "VOICE_AGENT_MASTER_KEY" in str(info.value)


async def test_missing_master_key_is_a_clear_error(store: SqlStore, settings: Settings) -> None:
    with pytest.raises(VaultError, match="VOICE_AGENT_MASTER_KEY is not set"):
        Vault.from_settings(store, settings)
    keyed = settings.model_copy(update={"voice_agent_master_key": SecretStr(generate_master_key())})
    assert Vault.from_settings(store, keyed).key_id


async def test_secret_validation(store: SqlStore) -> None:
    vault = Vault(store, KEY)
    record = await vault.put("hcp", f"  Token {SECRET}\n", allowed_domains=DOMAINS)
    assert record.last4 == SECRET[-4:]
    assert (await vault.get_secret("hcp")).get_secret_value() == SECRET  # type: ignore[union-attr]
    for bad in ("", "short", "has a space inside"):
        with pytest.raises(VaultError, match="at least 8"):
            await vault.put("hcp", bad, allowed_domains=DOMAINS)
    with pytest.raises(VaultError, match="allowed domain"):
        await vault.put("hcp", SECRET, allowed_domains=[" "])


def test_generated_keys_are_fresh_32_byte_keys() -> None:
    first, second = generate_master_key(), generate_master_key()
    assert first != second
    assert len(base64.b64decode(first, validate=True)) == 32
    assert key_id(KEY) == "5e318f8c"  # sha256(b"k" * 32)[:8], never the key itself

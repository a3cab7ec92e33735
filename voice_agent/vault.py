"""The credentials vault: API keys encrypted at rest with AES-256-GCM.

Each encryption uses a fresh random 96-bit nonce. The associated data binds the
ciphertext to its row (credential id, type, service and allowed domains), so a
ciphertext copied into another row, or a row whose domains were widened, fails to
decrypt. The master key (32 bytes, base64 in `VOICE_AGENT_MASTER_KEY`) never touches
the database; each row records the key id (first 8 hex characters of the key's
SHA-256) so a wrong key is reported as such and `rotate` can re-encrypt everything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from voice_agent.errors import VaultError
from voice_agent.settings import Settings
from voice_agent.storage.base import CredentialRecord, Store

log = logging.getLogger(__name__)

KEY_ENV = "VOICE_AGENT_MASTER_KEY"
API_KEY_TOKEN_PREFIX = "api_key_token_prefix"
NONCE_BYTES = 12
MIN_SECRET_LENGTH = 8
_AAD_VERSION = "voice-agent/credential/v1"
_NEW_KEY_HINT = "generate one with `voice-agent credentials new-master-key`"


def generate_master_key() -> str:
    """A fresh random 32-byte master key, base64-encoded (for `VOICE_AGENT_MASTER_KEY`)."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def decode_master_key(key: bytes | SecretStr) -> bytes:
    """The raw 32-byte key: `bytes` are taken as raw, `SecretStr` as base64 text."""
    if isinstance(key, SecretStr):
        try:
            raw = base64.b64decode(key.get_secret_value().strip(), validate=True)
        except (binascii.Error, ValueError):
            raise VaultError(f"{KEY_ENV} must be base64; {_NEW_KEY_HINT}") from None
    else:
        raw = bytes(key)
    if len(raw) != 32:
        raise VaultError(f"{KEY_ENV} must be 32 bytes (base64), got {len(raw)}; {_NEW_KEY_HINT}")
    return raw


def key_id(raw_key: bytes) -> str:
    """The key's public id: the first 8 hex characters of its SHA-256."""
    return hashlib.sha256(raw_key).hexdigest()[:8]


def normalise_secret(secret: str | SecretStr) -> str:
    """The API key as HCP expects it: trimmed, without a pasted `Token ` prefix."""
    text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    text = text.strip()
    if text.lower().startswith("token "):
        text = text[6:].strip()
    if len(text) < MIN_SECRET_LENGTH or any(ch.isspace() for ch in text):
        raise VaultError(f"the key must be at least {MIN_SECRET_LENGTH} characters without spaces")
    return text


def _aad(record_id: str, type_: str, service: str, domains: Sequence[str]) -> bytes:
    fields = [_AAD_VERSION, record_id, type_, service, sorted(domains)]
    return json.dumps(fields, separators=(",", ":")).encode()


class Vault:
    """Encrypts, stores and decrypts credentials; plaintext exists only in memory."""

    def __init__(self, store: Store, master_key: bytes | SecretStr) -> None:
        self._store = store
        self._key = decode_master_key(master_key)

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> Vault:
        """A vault keyed by `VOICE_AGENT_MASTER_KEY`, or `VaultError` if it is not set."""
        if settings.voice_agent_master_key is None:
            raise VaultError(f"{KEY_ENV} is not set; {_NEW_KEY_HINT}")
        return cls(store, settings.voice_agent_master_key)

    @property
    def key_id(self) -> str:
        """The id of the master key in use."""
        return key_id(self._key)

    async def put(
        self,
        service: str,
        secret: str | SecretStr,
        *,
        allowed_domains: Sequence[str],
        type: str = API_KEY_TOKEN_PREFIX,
    ) -> CredentialRecord:
        """Encrypt and store `secret` for `service`, replacing any earlier one."""
        plaintext = normalise_secret(secret)
        domains = tuple(d.strip().lower() for d in allowed_domains if d.strip())
        if not domains:
            raise VaultError(f"the {service} credential needs at least one allowed domain")
        existing = await self._store.get_credential(service)
        record_id = existing.id if existing else uuid.uuid4().hex
        nonce, ciphertext = self._encrypt(self._key, plaintext, record_id, type, service, domains)
        record = CredentialRecord(
            id=record_id,
            type=type,
            service=service,
            allowed_domains=domains,
            ciphertext=ciphertext,
            nonce=nonce,
            key_id=self.key_id,
            last4=plaintext[-4:],
            created_at=datetime.now(UTC),
        )
        await self._store.put_credential(record)
        log.info("stored %s credential (type %s, key id %s)", service, type, self.key_id)
        return record

    async def get_secret(self, service: str) -> SecretStr | None:
        """The decrypted secret for `service` (None if none is stored); records the use."""
        record = await self._store.get_credential(service)
        if record is None:
            return None
        secret = SecretStr(self._decrypt(self._key, record))
        await self._store.touch_credential(record.id, datetime.now(UTC))
        return secret

    async def get_record(self, service: str) -> CredentialRecord | None:
        """The stored (encrypted) record for `service`, without decrypting it."""
        return await self._store.get_credential(service)

    async def rotate(self, new_master_key: bytes | SecretStr) -> int:
        """Re-encrypt every credential under `new_master_key` in one transaction.

        Every row is decrypted first, so a row that fails leaves the store untouched.
        Returns how many credentials were re-encrypted; the vault then uses the new key.
        """
        new_key = decode_master_key(new_master_key)
        if new_key == self._key:
            raise VaultError(f"the new master key is the same as {KEY_ENV}")
        records = await self._store.list_credentials()
        rotated = []
        for record in records:
            plaintext = self._decrypt(self._key, record)
            nonce, ciphertext = self._encrypt(
                new_key, plaintext, record.id, record.type, record.service, record.allowed_domains
            )
            rotated.append(
                replace(record, nonce=nonce, ciphertext=ciphertext, key_id=key_id(new_key))
            )
        await self._store.put_credentials(rotated)
        log.info(
            "re-encrypted %d credentials from key id %s to %s",
            len(rotated),
            self.key_id,
            key_id(new_key),
        )
        self._key = new_key
        return len(rotated)

    @staticmethod
    def _encrypt(
        key: bytes,
        plaintext: str,
        record_id: str,
        type_: str,
        service: str,
        domains: Sequence[str],
    ) -> tuple[bytes, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        aad = _aad(record_id, type_, service, domains)
        return nonce, AESGCM(key).encrypt(nonce, plaintext.encode(), aad)

    @staticmethod
    def _decrypt(key: bytes, record: CredentialRecord) -> str:
        if record.key_id != key_id(key):
            raise VaultError(
                f"the {record.service} credential was encrypted with master key id "
                f"{record.key_id}, but {KEY_ENV} has key id {key_id(key)}; set the key it "
                "was stored with, or store the credential again"
            )
        aad = _aad(record.id, record.type, record.service, record.allowed_domains)
        try:
            if len(record.nonce) != NONCE_BYTES:
                raise InvalidTag
            plaintext = AESGCM(key).decrypt(record.nonce, record.ciphertext, aad)
        except InvalidTag:
            raise VaultError(
                f"cannot decrypt the {record.service} credential: the stored row was altered "
                f"or copied from another row, or {KEY_ENV} is wrong; store it again"
            ) from None
        return plaintext.decode()


async def configured_key(store: Store, settings: Settings) -> tuple[str | None, str]:
    """The HCP key in use and where it came from ("vault", "environment" or "none")."""
    if settings.voice_agent_master_key is not None and await store.get_credential("hcp"):
        secret = await Vault.from_settings(store, settings).get_secret("hcp")
        if secret is not None:
            return secret.get_secret_value(), "vault"
    if settings.hcp_api_key is not None:
        return settings.hcp_api_key.get_secret_value(), "environment"
    return None, "none"

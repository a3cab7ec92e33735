"""Sandbox state: collections of JSON documents in SQLite, mutated under one lock."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Doc = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (collection, id)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SandboxState:
    """The sandbox's persistent data: one SQLite table of JSON documents per collection.

    Reads come from an in-memory cache; every write goes through to SQLite at once, so a
    file-backed state survives restarts. Request handlers hold `lock` around any
    read-check-write sequence (booking a window, numbering a job) so concurrent requests
    cannot interleave.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._conn.executescript(_SCHEMA)
        self._cache: dict[str, dict[str, Doc]] = {}
        self._seq = 0
        for collection, doc_id, seq, body in conn.execute(
            "SELECT collection, id, seq, body FROM docs ORDER BY seq"
        ):
            self._cache.setdefault(collection, {})[doc_id] = json.loads(body)
            self._seq = max(self._seq, seq)
        self.lock = asyncio.Lock()
        self._batching = False

    @classmethod
    def open(cls, path: str | Path | None = None) -> SandboxState:
        """Open (creating if needed) the state at `path`; None keeps it in memory."""
        if path is None:
            return cls(sqlite3.connect(":memory:", check_same_thread=False))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(sqlite3.connect(str(path), check_same_thread=False))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Commit once at the end instead of after every write (bulk loads)."""
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            self._conn.commit()

    def _commit(self) -> None:
        if not self._batching:
            self._conn.commit()

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    @property
    def is_empty(self) -> bool:
        """True when nothing has been stored yet."""
        return not any(self._cache.values())

    def get(self, collection: str, doc_id: str) -> Doc | None:
        """Return the document `doc_id` of `collection`, or None."""
        return self._cache.get(collection, {}).get(doc_id)

    def all(self, collection: str) -> list[Doc]:
        """All documents of `collection` in insertion order."""
        return list(self._cache.get(collection, {}).values())

    def iter(self, collection: str) -> Iterator[Doc]:
        """Iterate the documents of `collection` in insertion order."""
        return iter(list(self._cache.get(collection, {}).values()))

    def put(self, collection: str, doc: Doc) -> Doc:
        """Insert or replace `doc` (keyed by its "id") and persist it."""
        doc_id = str(doc["id"])
        existing = self._cache.setdefault(collection, {})
        if doc_id in existing:
            self._conn.execute(
                "UPDATE docs SET body = ? WHERE collection = ? AND id = ?",
                (json.dumps(doc), collection, doc_id),
            )
        else:
            self._seq += 1
            self._conn.execute(
                "INSERT INTO docs (collection, id, seq, body) VALUES (?, ?, ?, ?)",
                (collection, doc_id, self._seq, json.dumps(doc)),
            )
        self._commit()
        existing[doc_id] = doc
        return doc

    def delete(self, collection: str, doc_id: str) -> None:
        """Remove a document if present."""
        self._cache.get(collection, {}).pop(doc_id, None)
        self._conn.execute("DELETE FROM docs WHERE collection = ? AND id = ?", (collection, doc_id))
        self._commit()

    def next_number(self, name: str, start: int = 1) -> int:
        """Return the next value of the named counter (job numbers, estimate numbers...)."""
        row = self._conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = start if row is None else int(row[0]) + 1
        self._conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
        self._commit()
        return value

    # Singletons (company, availability, settings) live in the "meta" collection.
    def meta(self, key: str) -> Doc:
        """Return a copy of the singleton document `key` (empty dict when unset)."""
        stored = self.get("meta", key)
        return dict(stored["doc"]) if stored else {}

    def set_meta(self, key: str, doc: Doc) -> None:
        """Replace the singleton document `key`."""
        self.put("meta", {"id": key, "doc": dict(doc)})


def new_id(prefix: str, rng: random.Random | None = None) -> str:
    """An HCP-style id: `prefix` + 32 hex chars (e.g. "cus_3f..."); "" prefix gives a UUID.

    Pass a seeded `rng` for reproducible ids (the demo seed does).
    """
    bits = rng.getrandbits(128) if rng is not None else int.from_bytes(secrets.token_bytes(16))
    if not prefix:
        return str(uuid.UUID(int=bits, version=4))
    return f"{prefix}{bits:032x}"

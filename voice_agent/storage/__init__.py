"""Persistence: the `Store` contract, its SQL implementation and migrations."""

from voice_agent.storage.base import StaleStateError, Store
from voice_agent.storage.migrate import SchemaStatus, head_revision, schema_status, upgrade
from voice_agent.storage.sql import SqlStore, open_store

__all__ = [
    "SchemaStatus",
    "SqlStore",
    "StaleStateError",
    "Store",
    "head_revision",
    "open_store",
    "schema_status",
    "upgrade",
]

"""`SqlStore`: the `Store` contract on SQLAlchemy Core, for SQLite and PostgreSQL.

One class per aggregate (`SqlConversations`, `SqlOutbox`, `SqlOptOuts`, ...), each on the
shared `SqlCore` (engine, transactions, writer thread); `SqlStore` is all of them on one
engine. See `core` for how writes are serialised and made idempotent.
"""

from __future__ import annotations

from voice_agent.storage.base import Store
from voice_agent.storage.engine import create_engine
from voice_agent.storage.sql.conversations import SqlConversations
from voice_agent.storage.sql.core import SqlCore, conversations, hcp_writes, messages
from voice_agent.storage.sql.dashboard import (
    SqlDashboardUsers,
    SqlInstallSecrets,
    SqlScenarioRecords,
)
from voice_agent.storage.sql.deliveries import SqlMessages, SqlWebhookEvents
from voice_agent.storage.sql.followups import SqlDigests, SqlOwnWrites
from voice_agent.storage.sql.journal import SqlHcpWriteJournal, SqlLeases
from voice_agent.storage.sql.messaging import SqlOptOuts, SqlSmsThreads
from voice_agent.storage.sql.office import SqlAttempts, SqlCredentials, SqlSettingOverrides
from voice_agent.storage.sql.outbox import SqlOutbox
from voice_agent.storage.sql.reports import SqlRecordings, SqlReports

__all__ = ["SqlCore", "SqlStore", "conversations", "hcp_writes", "messages", "open_store"]


class SqlStore(
    SqlConversations,
    SqlHcpWriteJournal,
    SqlLeases,
    SqlOutbox,
    SqlMessages,
    SqlWebhookEvents,
    SqlCredentials,
    SqlSettingOverrides,
    SqlAttempts,
    SqlReports,
    SqlRecordings,
    SqlOptOuts,
    SqlSmsThreads,
    SqlDashboardUsers,
    SqlInstallSecrets,
    SqlOwnWrites,
    SqlDigests,
    SqlScenarioRecords,
    Store,
):
    """The product's storage on one async SQLAlchemy engine (see `open_store`)."""


def open_store(database_url: str, *, schema: str | None = None) -> SqlStore:
    """A `SqlStore` for `database_url` (run `upgrade` first to create the tables).

    `schema` sets the PostgreSQL search path (tests use a throwaway schema).
    """
    return SqlStore(create_engine(database_url, schema=schema))

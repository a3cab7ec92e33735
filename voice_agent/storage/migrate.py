"""Apply the Alembic migrations programmatically (`voice-agent db upgrade`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from voice_agent.errors import StorageError
from voice_agent.storage.engine import create_engine, describe_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands: its revision before/now and the code's head."""

    before: str | None
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """Whether the database is at the latest revision."""
        return self.current == self.head


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic `Config` for the packaged migrations (URL passed as an attribute)."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


def head_revision() -> str:
    """The newest migration shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StorageError("no migrations found in the voice_agent package")
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(
    database_url: str, *, schema: str | None = None, revision: str = "head"
) -> SchemaStatus:
    """Apply migrations up to `revision` in one transaction; report the revisions.

    Creates the SQLite data directory if missing. Raises `StorageError` if the database
    is unreachable or refuses the migration.
    """
    engine = create_engine(database_url, schema=schema)
    try:
        return await upgrade_engine(engine, revision=revision)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine, *, revision: str = "head") -> SchemaStatus:
    """Apply migrations on an existing engine (e.g. a store's in-memory SQLite database)."""
    config = alembic_config()

    def _run(connection: Connection) -> tuple[str | None, str | None]:
        before = _current(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return before, _current(connection)

    try:
        async with engine.begin() as conn:
            before, after = await conn.run_sync(_run)
    except (DBAPIError, OSError) as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise StorageError(f"cannot migrate {where}: {exc}") from exc
    return SchemaStatus(before=before, current=after, head=head_revision())


async def schema_status(database_url: str, *, schema: str | None = None) -> SchemaStatus:
    """The database's current revision compared with the code's head (no changes made)."""
    engine = create_engine(database_url, schema=schema)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(_current)
    except (DBAPIError, OSError) as exc:
        raise StorageError(f"cannot reach {describe_url(database_url)}: {exc}") from exc
    finally:
        await engine.dispose()
    return SchemaStatus(before=current, current=current, head=head_revision())

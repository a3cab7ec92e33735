"""`voice-agent db upgrade` and `voice-agent db status`."""

from __future__ import annotations

import asyncio

import typer

from voice_agent.errors import StorageError
from voice_agent.settings import load_settings
from voice_agent.storage.engine import describe_url
from voice_agent.storage.migrate import schema_status, upgrade

db = typer.Typer(help="Database schema (migrations).", no_args_is_help=True)


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(f"error: {exc}", fg="red", err=True)
    return typer.Exit(1)


@db.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the database schema to the latest revision."""
    url = load_settings().effective_database_url
    try:
        status = asyncio.run(upgrade(url))
    except StorageError as exc:
        raise _fail(exc) from None
    where = describe_url(url)
    if status.before == status.current:
        typer.echo(f"{where}: schema already at revision {status.current} (latest)")
    else:
        typer.echo(
            f"{where}: schema upgraded from {status.before or 'empty'} to revision {status.current}"
        )


@db.command("status")
def status_command() -> None:
    """Show the database's schema revision and whether it is up to date."""
    url = load_settings().effective_database_url
    try:
        status = asyncio.run(schema_status(url))
    except StorageError as exc:
        raise _fail(exc) from None
    state = "up to date" if status.up_to_date else "needs `voice-agent db upgrade`"
    typer.echo(f"{describe_url(url)}: revision {status.current or 'empty'} ({state})")
    if not status.up_to_date:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `db` command group to `app`."""
    app.add_typer(db, name="db")

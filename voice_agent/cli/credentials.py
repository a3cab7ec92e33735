"""`voice-agent credentials …`: store, list, delete and re-key encrypted API keys.

Keys are read from a hidden prompt or standard input, never from the command line
(argv is visible to other users and lands in shell history). `rotate-master-key` takes
the current key from `VOICE_AGENT_MASTER_KEY` and the new one from `--new-key-stdin`;
without it, a new key is generated, used, and printed exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from pydantic import SecretStr

from voice_agent.errors import StorageError, VaultError
from voice_agent.settings import Settings, load_settings
from voice_agent.storage.base import CredentialRecord
from voice_agent.storage.migrate import schema_status
from voice_agent.storage.sql import SqlStore, open_store
from voice_agent.vault import API_KEY_TOKEN_PREFIX, Vault, generate_master_key

T = TypeVar("T")

SERVICES = {"hcp": API_KEY_TOKEN_PREFIX}

credentials = typer.Typer(help="Encrypted API keys (the vault).", no_args_is_help=True)


def _run(settings: Settings, work: Callable[[SqlStore], Awaitable[T]]) -> T:
    """Run `work` on a store for the configured, migrated database; errors exit 1."""

    async def main() -> T:
        url = settings.effective_database_url
        status = await schema_status(url)
        if not status.up_to_date:
            raise StorageError(
                f"the database schema is at {status.current or 'empty'}, this version needs "
                f"{status.head}: run `voice-agent db upgrade`"
            )
        store = open_store(url)
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except (StorageError, VaultError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None


def _service(name: str) -> str:
    if name not in SERVICES:
        raise typer.BadParameter(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
    return name


def _read_stdin() -> str:
    return typer.get_text_stream("stdin").read().strip()


@credentials.command("set")
def set_command(
    service: str = typer.Argument(..., help="Which credential: hcp.", callback=_service),
    domains: str | None = typer.Option(
        None, help="Comma-separated hosts the key may be sent to (default HCP_ALLOWED_DOMAINS)."
    ),
    stdin: bool = typer.Option(False, "--stdin", help="Read the key from standard input."),
) -> None:
    """Store (or replace) an API key, encrypted with VOICE_AGENT_MASTER_KEY."""
    settings = load_settings()
    allowed = (
        tuple(d.strip() for d in domains.split(",") if d.strip())
        if domains is not None
        else settings.hcp_allowed_domains
    )
    secret = SecretStr(
        _read_stdin() if stdin else typer.prompt(f"{service} API key", hide_input=True)
    )

    async def work(store: SqlStore) -> CredentialRecord:
        vault = Vault.from_settings(store, settings)
        return await vault.put(service, secret, allowed_domains=allowed, type=SERVICES[service])

    record = _run(settings, work)
    typer.echo(
        f"stored the {service} key ending {record.last4} for {', '.join(record.allowed_domains)}"
        f" (master key id {record.key_id})"
    )


@credentials.command("list")
def list_command() -> None:
    """List stored credentials (type, domains, last 4 characters, times); never the keys."""
    settings = load_settings()

    async def work(store: SqlStore) -> list[CredentialRecord]:
        return await store.list_credentials()

    records = _run(settings, work)
    if not records:
        typer.echo("no credentials stored")
        return
    for r in records:
        used = f"{r.used_at:%Y-%m-%d %H:%M} UTC" if r.used_at else "never"
        typer.echo(
            f"{r.service}  type={r.type}  domains={','.join(r.allowed_domains)}  "
            f"ends=…{r.last4}  key_id={r.key_id}  created={r.created_at:%Y-%m-%d %H:%M} UTC  "
            f"used={used}"
        )


@credentials.command("delete")
def delete_command(
    service: str = typer.Argument(..., help="Which credential: hcp.", callback=_service),
) -> None:
    """Delete a stored credential."""
    settings = load_settings()

    async def work(store: SqlStore) -> bool:
        record = await store.get_credential(service)
        return record is not None and await store.delete_credential(record.id)

    if not _run(settings, work):
        typer.secho(f"no {service} credential stored", fg="yellow", err=True)
        raise typer.Exit(1)
    typer.echo(f"deleted the {service} credential")


@credentials.command("rotate-master-key")
def rotate_command(
    new_key_stdin: bool = typer.Option(
        False,
        "--new-key-stdin",
        help="Read the new base64 master key from standard input (default: generate one).",
    ),
) -> None:
    """Re-encrypt every credential under a new master key, in one transaction.

    The current key comes from VOICE_AGENT_MASTER_KEY. A generated key is printed once:
    put it in VOICE_AGENT_MASTER_KEY before the next start, or the keys cannot be read.
    """
    settings = load_settings()
    generated = None if new_key_stdin else generate_master_key()
    new_key = SecretStr(generated or _read_stdin())

    async def work(store: SqlStore) -> tuple[int, str]:
        vault = Vault.from_settings(store, settings)
        count = await vault.rotate(new_key)
        return count, vault.key_id

    count, new_id = _run(settings, work)
    typer.echo(f"re-encrypted {count} credential(s) under master key id {new_id}")
    if generated:
        typer.echo("new VOICE_AGENT_MASTER_KEY (shown once; set it before the next start):")
        typer.echo(generated)
    else:
        typer.echo("now set VOICE_AGENT_MASTER_KEY to the new key")


@credentials.command("new-master-key")
def new_master_key_command() -> None:
    """Print a fresh random master key (32 bytes, base64) for VOICE_AGENT_MASTER_KEY."""
    typer.echo(generate_master_key())


def register(app: typer.Typer) -> None:
    """Add the `credentials` command group to `app`."""
    app.add_typer(credentials, name="credentials")

"""`voice-agent digest [--preview] [--date YYYY-MM-DD]`: show or queue the owner digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import typer

from voice_agent.errors import StorageError
from voice_agent.followups.digest import (
    Digest,
    DigestResult,
    Period,
    build_digest,
    enqueue_digest,
    last_closed_period,
    period_ending,
    render_email,
    render_sms,
)
from voice_agent.settings import Settings, load_settings
from voice_agent.storage.sql import open_store


async def _run(day: date | None, preview: bool) -> tuple[Period, Digest | DigestResult]:
    from voice_agent.overrides import effective_settings  # the dashboard's saved profile

    base = load_settings()
    store = open_store(base.effective_database_url)
    try:
        settings: Settings = await effective_settings(base, store)
        now = datetime.now(UTC)
        period = period_ending(day, settings) if day else last_closed_period(now, settings)
        if preview:
            return period, await build_digest(store, settings, period.start, period.end)
        return period, await enqueue_digest(store, settings, period, now)
    finally:
        await store.close()


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = "expected a date such as 2026-12-01"
        raise typer.BadParameter(message, param_hint="--date") from None


def digest_command(
    preview: bool = typer.Option(False, "--preview", help="Print the digest; queue nothing."),
    day: str | None = typer.Option(
        None,
        "--date",
        metavar="YYYY-MM-DD",
        help="The local day the period closes (default: the last period that closed).",
    ),
) -> None:
    """Print the owner digest (--preview), or queue it for the owner's phone and e-mail."""
    try:
        period, result = asyncio.run(_run(_day(day), preview))
    except StorageError as exc:
        typer.secho(f"error: {exc} (run `voice-agent db upgrade`?)", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"period: {period.start:%Y-%m-%d %H:%M} to {period.end:%Y-%m-%d %H:%M %Z}")
    if isinstance(result, Digest):
        if result.empty:
            typer.echo("nothing to say: no digest would be sent")
        subject, body = render_email(result)
        typer.echo(f"\n--- SMS ({len(render_sms(result))} characters)\n{render_sms(result)}")
        typer.echo(f"\n--- E-mail\nSubject: {subject}\n\n{body}")
        return
    if result.queued:
        typer.echo(
            f"queued: {', '.join(result.queued)} (sent by the running server or "
            "`voice-agent followups run-once`)"
        )
    else:
        typer.echo(f"not queued: {result.skipped}")


def register(app: typer.Typer) -> None:
    """Add the `digest` command to `app`."""
    app.command("digest")(digest_command)

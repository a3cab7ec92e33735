"""`voice-agent chat`: talk to the agent in the terminal as a caller.

Runs on whatever components are configured (the in-process HCP sandbox, SQLite and guided
intake by default). Every line is printed as `Caller: …` or `Agent: …` (one line per turn).
On a terminal, tool calls show dimmed beside the conversation; when stdin is not a terminal,
each input line is one caller utterance, so conversations can be scripted. End of input
hangs up: the conversation is recorded as ended, as a phone call's would be.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime
from typing import TextIO

import typer
from rich.console import Console
from rich.markup import escape

from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.events import (
    EndConversation,
    FallbackTaken,
    TextDelta,
    ToolFinished,
    ToolStarted,
    Transfer,
)
from voice_agent.logs import configure_logging
from voice_agent.runtime import running
from voice_agent.settings import Settings, load_settings
from voice_agent.storage.base import NewConversation


def register(app: typer.Typer) -> None:
    """Add the chat command to `app`."""

    @app.command()
    def chat(
        caller: str = typer.Option("+15551230001", "--from", help="Caller ID to call from."),
        test_mode: bool = typer.Option(False, "--test-mode", help="Announce a test call."),
        verbose: bool = typer.Option(False, "--verbose", help="Show log lines on stderr."),
    ) -> None:
        """Talk to the agent as a caller (pipe lines in to script a conversation)."""
        settings = load_settings()
        configure_logging("INFO" if verbose else "ERROR")
        asyncio.run(_run(settings_caller=caller, test_mode=test_mode, settings=settings))


async def _run(*, settings_caller: str, test_mode: bool, settings: Settings) -> None:
    async with running(settings) as runtime:
        await _converse(await runtime.engine("voice"), settings_caller, test_mode, sys.stdin)


async def _converse(engine: DialogueEngine, caller: str, test_mode: bool, stdin: TextIO) -> None:
    interactive = stdin.isatty()
    console = Console(highlight=False) if interactive else None
    new = NewConversation(
        channel="console",
        external_id=f"chat-{uuid.uuid4().hex[:12]}",
        caller=caller,
        test_mode=test_mode,
    )
    started = await engine.start(new)
    _say(console, started.greeting)
    try:
        while True:
            line = await _read(console, stdin)
            if line is None:
                return
            if not line.strip():
                continue
            if console is None:
                typer.echo(f"Caller: {line.strip()}")
            if await _turn(engine, console, started.conversation.id, line.strip()):
                return
    finally:
        await _hang_up(engine, started.conversation.id)


async def _turn(
    engine: DialogueEngine, console: Console | None, conversation_id: str, text: str
) -> bool:
    """One caller turn: print the agent's reply (one line); True when the call is over."""
    reply: list[str] = []
    finished = False
    async for event in engine.respond(conversation_id, text):
        if isinstance(event, TextDelta):
            reply.append(event.text)
            continue
        if reply:  # what was said before a tool call or a transfer comes first
            _say(console, " ".join(reply))
            reply = []
        if console is not None:
            _show(console, event)
        if isinstance(event, Transfer | EndConversation):
            finished = True
    if reply:
        _say(console, " ".join(reply))
    return finished


async def _hang_up(engine: DialogueEngine, conversation_id: str) -> None:
    """End of input is a hang-up: a conversation still open is recorded as ended."""
    conversation = await engine.store.get_conversation(conversation_id)
    if conversation is not None and conversation.status == "active":
        await engine.store.update_conversation(
            conversation_id, status="completed", ended_at=datetime.now(UTC)
        )


def _say(console: Console | None, text: str) -> None:
    text = " ".join(text.split())  # one line per turn, whatever the model streamed
    if console is None:
        typer.echo(f"Agent: {text}")
    else:
        console.print(f"[bold cyan]Agent:[/] {escape(text)}")


def _show(console: Console, event: object) -> None:
    if isinstance(event, ToolStarted):
        args = json.dumps(event.arguments)[:120]
        console.print(f"[dim]    ⚙ {event.name}({escape(args)})[/]")
    elif isinstance(event, ToolFinished):
        outcome = f"error: {event.error}" if event.error else json.dumps(event.result, default=str)
        console.print(f"[dim]    ↳ {escape(outcome[:160])} ({event.duration_ms:.0f} ms)[/]")
    elif isinstance(event, Transfer):
        console.print(f"[yellow]    ☎ transferring to {event.number} ({escape(event.reason)})[/]")
    elif isinstance(event, EndConversation):
        console.print(f"[dim]    call ended ({escape(event.reason)})[/]")
    elif isinstance(event, FallbackTaken):
        console.print(f"[yellow]    ⚠ fell back to guided intake: {escape(event.reason)}[/]")


async def _read(console: Console | None, stdin: TextIO) -> str | None:
    if console is not None:
        try:
            return await asyncio.to_thread(console.input, "[bold green]Caller:[/] ")
        except (EOFError, KeyboardInterrupt):
            return None
    line = await asyncio.to_thread(stdin.readline)
    return line if line else None

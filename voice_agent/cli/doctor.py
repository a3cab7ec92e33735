"""`voice-agent doctor`: what is real, what is an embedded default, what is broken and its fix.

Without `--url` it checks the configuration this shell would start a server with (the
environment plus the `.env` file, the same one `voice-agent serve` reads in this folder).
With `--url` it asks a running server for its own view (`GET /api/doctor`, after logging in
with `ADMIN_PASSWORD`), falling back to the public `/healthz` when it cannot log in.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from voice_agent.doctor import Check, diagnose
from voice_agent.settings import load_settings

COLOURS = {"real": "green", "default": "cyan", "off": "yellow", "broken": "red"}
REMOTE_TIMEOUT = 30.0


class RemoteError(Exception):
    """The server could not be asked (unreachable, locked dashboard, wrong password)."""


def register(app: typer.Typer) -> None:
    """Add the doctor command to `app`."""

    @app.command()
    def doctor(
        url: str = typer.Option(
            "", "--url", help="Ask the server running at this URL for its view instead."
        ),
        env_file: Path = typer.Option(
            Path(".env"), "--env-file", help="The .env file to read (as the server does)."
        ),
    ) -> None:
        """Check each component: what is real, what is an embedded default, what is broken."""
        settings = load_settings(_env_file=env_file)
        err = Console(stderr=True)
        if url:
            password = settings.admin_password.get_secret_value() if settings.admin_password else ""
            if not password and sys.stdin.isatty():
                password = typer.prompt("ADMIN_PASSWORD of that server", hide_input=True)
            try:
                checks, note = ask_server(url, password)
            except RemoteError as exc:
                err.print(f"[red]{exc}[/]")
                raise typer.Exit(2) from None
            err.print(note)
        else:
            found = "found" if env_file.is_file() else "not found"
            err.print(f"settings: environment + {env_file.resolve()} ({found})")
            with err.status("checking components…"):
                checks = asyncio.run(diagnose(settings))
        print_checks(checks)
        if any(check.state == "broken" for check in checks):
            raise typer.Exit(1)


def print_checks(checks: list[Check]) -> None:
    """The verdicts as a table on stdout."""
    table = Table("component", "state", "detail", "fix")
    for check in checks:
        state = f"[{COLOURS.get(check.state, 'white')}]{check.state}[/]"
        table.add_row(check.component, state, check.detail, check.fix)
    Console().print(table)


def ask_server(url: str, password: str) -> tuple[list[Check], str]:
    """The running server's checks (logged in), or its `/healthz` components when that fails."""
    base = url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=REMOTE_TIMEOUT) as client:
            health = client.get("/healthz")
            if health.status_code != 200:
                raise RemoteError(f"{base}/healthz answered {health.status_code}")
            if not password:
                return _from_health(health.json()), (
                    f"{base}: no ADMIN_PASSWORD to log in with; showing /healthz only"
                )
            cookie, problem = _log_in(client, password)
            if problem:
                return _from_health(health.json()), f"{base}: {problem}; showing /healthz only"
            answer = client.get("/api/doctor", headers={"Cookie": cookie})
            if answer.status_code != 200:
                raise RemoteError(f"{base}/api/doctor answered {answer.status_code}")
            body: dict[str, Any] = answer.json()
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach {base}: {exc}") from None
    checks = [Check(**{k: str(v) for k, v in c.items()}) for c in body["checks"]]  # type: ignore[arg-type]
    return checks, f"the server at {base} (version {body.get('version', '?')}) reports:"


def _log_in(client: httpx.Client, password: str) -> tuple[str, str | None]:
    """Log in as admin through the login form: the session's Cookie header, or why not.

    Cookies are carried by hand: a server with an https PUBLIC_BASE_URL marks them Secure,
    and a client asking it over http://127.0.0.1 would otherwise drop them.
    """
    form = client.get("/login")
    if form.status_code == 503:
        return "", "the server's dashboard is locked (it has no ADMIN_PASSWORD)"
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        return "", f"the login page answered {form.status_code}"
    done = client.post(
        "/login",
        data={"username": "admin", "password": password, "csrf_token": token.group(1)},
        headers={"Cookie": _cookie_header(form)},
    )
    if done.status_code != 303:
        return "", "the server refused the ADMIN_PASSWORD"
    return _cookie_header(done), None


def _cookie_header(response: httpx.Response) -> str:
    """`name=value; …` for every cookie the response set."""
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


def _from_health(health: dict[str, Any]) -> list[Check]:
    """Checks built from `/healthz` (component names and states, no fixes)."""
    checks = []
    for name, state in dict(health.get("components", {})).items():
        text = str(state)
        verdict = (
            "default" if "default" in text else "off" if text.startswith(("not", "no ")) else "real"
        )
        checks.append(Check(name, verdict, text))  # type: ignore[arg-type]
    return checks

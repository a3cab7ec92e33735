"""`GET /api/doctor`: the running server's own `voice-agent doctor` verdicts (logged-in only).

`voice-agent doctor --url URL` logs in and reads this, so a second shell sees the server's
configuration rather than its own environment. Details carry no secrets (an HCP key shows
only its last four characters).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import Response
from fastapi.responses import JSONResponse

from voice_agent import __version__
from voice_agent.deps import SettingsDep, StoreDep
from voice_agent.doctor import diagnose
from voice_agent.overrides import effective_settings
from voice_agent.web.routes_auth import guarded


@guarded.get("/api/doctor")
async def doctor_view(settings: SettingsDep, store: StoreDep) -> Response:
    """Every component's state as the server sees it, with the fix for what is broken."""
    checks = await diagnose(settings)
    effective = await effective_settings(settings, store)
    return JSONResponse(
        {
            "version": __version__,
            "components": effective.components(),
            "checks": [asdict(check) for check in checks],
        }
    )

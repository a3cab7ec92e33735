"""The conversation language: the model switches it when the caller speaks Spanish."""

from __future__ import annotations

from typing import Any, Literal

from voice_agent.engine.toolbox import ToolContext
from voice_agent.tools.registry import ToolError, tool


@tool
async def set_language(ctx: ToolContext, language: Literal["en", "es"]) -> dict[str, Any]:
    """Switch the conversation to Spanish ("es") when the caller speaks Spanish or asks for it,
    or back to English ("en"). Then answer in that language; the phone voice switches too.

    Args:
        language: "es" for Spanish, "en" for English.
    """
    if language == "es" and not ctx.settings.spanish_enabled:
        raise ToolError("Spanish is not offered here; continue in English.")
    ctx.session.language = language
    return {"language": language}

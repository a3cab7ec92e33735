"""Where a scenario run gets its settings, its HCP (sandbox or dry-run) and its caller."""

from __future__ import annotations

from typing import Any

from voice_agent.scenarios.runner import CallerFactory, llm_callers, scripted
from voice_agent.settings import Settings
from voice_agent.storage.base import Store
from voice_agent.vault import configured_key


class DryRunUnavailable(Exception):
    """Dry-run was asked for but no HCP key is configured (vault or `HCP_API_KEY`)."""


async def dry_run_key(store: Store, settings: Settings) -> str:
    """The real HCP key for a dry run; `DryRunUnavailable` when there is none."""
    key, _ = await configured_key(store, settings)
    if key is None:
        raise DryRunUnavailable("dry-run needs an HCP API key (voice-agent credentials set hcp)")
    return key


def caller_factory(settings: Settings) -> tuple[CallerFactory, Any]:
    """LLM-played callers when an LLM key is set (for `simulated:` scenarios), else scripted.

    Returns the factory and the OpenAI client to close (None without a key).
    """
    if settings.openai_api_key is None:
        return scripted, None
    import openai

    client = openai.AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=str(settings.openai_base_url) if settings.openai_base_url else None,
        timeout=settings.openai_timeout,
        max_retries=1,
    )
    return llm_callers(client, settings.openai_model), client

"""Moved to `voice_agent.operations.lead_source` (kept so older imports keep working)."""

from __future__ import annotations

from voice_agent.operations.lead_source import is_unknown_lead_source, without_unknown_lead_source

__all__ = ["is_unknown_lead_source", "without_unknown_lead_source"]

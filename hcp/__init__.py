"""Async client for the Housecall Pro v1 API (imports nothing from voice_agent)."""

"""Alembic migrations for the store; applied by `voice_agent.storage.upgrade`."""

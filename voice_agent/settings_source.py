"""The one source of the running settings: the environment plus the office's saved profile.

Engines and channels hold a `SettingsSource` and read `current()` whenever they need a
value, so a profile saved on the Setup page reaches every engine at once; nobody assigns
settings to an engine from outside. `reload()` re-reads the saved profile (on save, at
start-up, before a test-line call, at each background sweep); subscribers are called
whenever the settings change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from voice_agent.overrides import effective_settings
from voice_agent.settings import Settings
from voice_agent.storage.base import Store

log = logging.getLogger(__name__)
Listener = Callable[[Settings], None]


class SettingsSource:
    """The environment's `base` settings with the profile saved in `store` applied.

    Without a store (tests, a fixed configuration) it is simply `base` until `update`.
    """

    def __init__(self, base: Settings, store: Store | None = None) -> None:
        self.base = base
        self._store = store
        self._current = base
        self._listeners: list[Listener] = []

    def current(self) -> Settings:
        """The settings in force now (no I/O)."""
        return self._current

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(settings)` after every change."""
        self._listeners.append(listener)

    def update(self, settings: Settings) -> None:
        """Put `settings` in force and tell the subscribers (nothing happens when equal)."""
        if settings == self._current:
            return
        self._current = settings
        for listener in self._listeners:
            listener(settings)

    async def reload(self) -> Settings:
        """Re-read the saved profile over `base` (a store error propagates) and return it."""
        if self._store is not None:
            self.update(await effective_settings(self.base, self._store))
        return self._current

"""The root of the errors the application raises."""


class AgentError(Exception):
    """Root of every error raised by `voice_agent`."""


class ConfigError(AgentError):
    """A setting is missing or malformed; the message names the setting."""


class ChannelError(AgentError):
    """An inbound webhook is malformed or its signature is wrong."""


class StorageError(AgentError):
    """The database refused or lost a write."""


class VaultError(AgentError):
    """A credential cannot be stored or decrypted (wrong key, tampering, swapped row)."""

"""hcp-voice-agent: answers the phone and texts for home-service businesses on Housecall Pro."""

from voice_agent.errors import AgentError, ChannelError, ConfigError, StorageError, VaultError

__all__ = ["AgentError", "ChannelError", "ConfigError", "StorageError", "VaultError"]
__version__ = "0.1.0"

"""Follow-ups: reactions to HCP webhooks, reminders, replies to our texts, and their scheduler."""

from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.gateway import ClientGateway, FollowupHcp
from voice_agent.followups.runtime import MessagingRuntime, build_runtime, messaging_runtime
from voice_agent.followups.scheduler import FollowupScheduler

__all__ = [
    "ClientGateway",
    "FollowupConfig",
    "FollowupHcp",
    "FollowupScheduler",
    "MessagingRuntime",
    "build_runtime",
    "messaging_runtime",
]

"""Text messaging: the SMS sender, the outbox dispatcher, opt-outs, threads and inbound turns."""

from voice_agent.messaging.dispatcher import (
    DispatchReport,
    GiveUp,
    OutboxDispatcher,
    RetryLater,
    backoff_delay,
)
from voice_agent.messaging.inbound import SmsAgent, SmsInbound
from voice_agent.messaging.keywords import classify_keyword
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.outbox import SmsOutbox
from voice_agent.messaging.sender import SentSms, SmsSender, SmsSendError, TwilioSmsSender
from voice_agent.messaging.threads import SmsThread, SmsThreads

__all__ = [
    "DispatchReport",
    "GiveUp",
    "OptOuts",
    "OutboxDispatcher",
    "RetryLater",
    "SentSms",
    "SmsAgent",
    "SmsInbound",
    "SmsOutbox",
    "SmsSendError",
    "SmsSender",
    "SmsThread",
    "SmsThreads",
    "TwilioSmsSender",
    "backoff_delay",
    "classify_keyword",
]

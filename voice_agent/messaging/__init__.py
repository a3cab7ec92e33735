"""Text messaging: the SMS sender, the outbox dispatcher, opt-outs, threads and inbound turns."""

from voice_agent.messaging.dispatcher import (
    DispatchReport,
    GiveUp,
    OutboxDispatcher,
    RetryLater,
    backoff_delay,
)
from voice_agent.messaging.inbound import SMS_IN_KIND, SmsAgent, SmsInbound
from voice_agent.messaging.keywords import classify_keyword
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.outbox import NOTIFY_OFFICE_KIND, SMS_KIND, SmsOutbox, queue_sms
from voice_agent.messaging.sender import SentSms, SmsSender, SmsSendError, TwilioSmsSender
from voice_agent.messaging.threads import SmsThread, SmsThreads

__all__ = [
    "NOTIFY_OFFICE_KIND",
    "SMS_IN_KIND",
    "SMS_KIND",
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
    "queue_sms",
]

"""The outbox: typed jobs (`jobs`), `Outbox.put` to queue them, one handler per kind."""

from voice_agent.outbox.jobs import (
    JOB_TYPES,
    CallEnded,
    EstimateFollowup,
    HcpEvent,
    InvoiceReminder,
    Job,
    JobError,
    NotifyOffice,
    RetryHcpWrite,
    SendEmail,
    SendSms,
    SmsReceived,
    parse_job,
)
from voice_agent.outbox.outbox import Outbox, OutboxRows

__all__ = [
    "JOB_TYPES",
    "CallEnded",
    "EstimateFollowup",
    "HcpEvent",
    "InvoiceReminder",
    "Job",
    "JobError",
    "NotifyOffice",
    "Outbox",
    "OutboxRows",
    "RetryHcpWrite",
    "SendEmail",
    "SendSms",
    "SmsReceived",
    "parse_job",
]

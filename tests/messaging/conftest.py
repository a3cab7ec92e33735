"""Fixtures for the messaging and follow-up tests: a settable clock, a store, fake Twilio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from voice_agent.messaging.sender import TwilioSmsSender
from voice_agent.testing.fake_twilio import FakeTwilioServer

BUSINESS_NUMBER = "+15005550006"


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # a Tuesday, 9:00 in Chicago


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilioServer]:
    async with FakeTwilioServer() as fake:
        yield fake


@pytest.fixture
async def sender(fake_twilio: FakeTwilioServer) -> AsyncIterator[TwilioSmsSender]:
    sms = TwilioSmsSender(
        fake_twilio.account_sid,
        fake_twilio.auth_token,
        from_number=BUSINESS_NUMBER,
        base_url=fake_twilio.base_url,
    )
    yield sms
    await sms.aclose()

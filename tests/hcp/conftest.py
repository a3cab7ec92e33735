"""Fixtures for hcp tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from hcp_fakes import TEST_KEY, Recorder, SleepRecorder

from hcp import HcpClient


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def client(recorder: Recorder, sleeps: SleepRecorder) -> AsyncIterator[HcpClient]:
    async with HcpClient(
        TEST_KEY, transport=httpx.MockTransport(recorder), sleep=sleeps, max_retries=2
    ) as c:
        yield c

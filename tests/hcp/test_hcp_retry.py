"""Retry policy (pure functions) and the client's retry/no-retry behaviour."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from hcp_fakes import TEST_KEY, Recorder, SleepRecorder, json_response

from hcp import (
    HcpClient,
    HcpConnectionError,
    HcpRateLimitError,
    HcpServerError,
    HcpTimeoutError,
)
from hcp._constants import MAX_RETRY_AFTER, MAX_RETRY_DELAY
from hcp._retry import is_idempotent, jitter, parse_retry_after, retry_delay, should_retry

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Sat, 28 Nov 2026 12:00:07 GMT", 7.0),
        ("Sat, 28 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_retry_delay_backoff_with_injected_jitter() -> None:
    assert retry_delay(0, rand=lambda: 1.0) == 0.5
    assert retry_delay(1, rand=lambda: 1.0) == 1.0
    assert retry_delay(2, rand=lambda: 0.0) == 1.0  # 2.0 * 0.5
    assert retry_delay(30, rand=lambda: 1.0) == MAX_RETRY_DELAY
    assert jitter(4.0, rand=lambda: 0.5) == 3.0


def test_retry_delay_honours_and_caps_retry_after() -> None:
    assert retry_delay(0, {"retry-after": "2"}, rand=lambda: 1.0) == 2.0
    assert retry_delay(0, {"retry-after": str(MAX_RETRY_AFTER)}) == MAX_RETRY_AFTER
    assert retry_delay(0, {"retry-after": "3600"}) is None  # too long for a live turn: give up
    assert retry_delay(0, {"retry-after": "garbage"}, rand=lambda: 1.0) == 0.5


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"idempotent": True, "status_code": 500}, True),
        ({"idempotent": True, "status_code": 502}, True),
        ({"idempotent": True, "status_code": 429}, True),
        ({"idempotent": True, "status_code": 404}, False),
        ({"idempotent": True, "status_code": 400}, False),
        ({"idempotent": False, "status_code": 500}, False),
        ({"idempotent": False, "status_code": 429}, False),
        ({"idempotent": True, "connection_error": True}, True),
        ({"idempotent": False, "connection_error": True}, False),
        ({"idempotent": False, "connection_error": True, "request_sent": False}, True),
    ],
)
def test_should_retry(kwargs: dict[str, object], expected: bool) -> None:
    assert should_retry(**kwargs) is expected  # type: ignore[arg-type]


def test_idempotent_methods() -> None:
    assert [m for m in ("GET", "put", "DELETE", "POST", "PATCH") if is_idempotent(m)] == [
        "GET",
        "put",
        "DELETE",
    ]


async def test_get_retried_on_5xx_then_succeeds(
    client: HcpClient, recorder: Recorder, sleeps: SleepRecorder
) -> None:
    recorder.queue += [
        json_response(503, {}),
        json_response(500, {}),
        json_response(200, {"id": "c"}),
    ]
    company = await client.company.get()
    assert company.id == "c"
    assert len(recorder.requests) == 3
    assert len(sleeps.delays) == 2
    assert 0.25 <= sleeps.delays[0] <= 0.5 and 0.5 <= sleeps.delays[1] <= 1.0


async def test_get_gives_up_after_max_retries(
    client: HcpClient, recorder: Recorder, sleeps: SleepRecorder
) -> None:
    recorder.handler = lambda r: json_response(502, {"error": "bad gateway"})
    with pytest.raises(HcpServerError, match="bad gateway"):
        await client.company.get()
    assert len(recorder.requests) == 3  # 1 + max_retries(2)


async def test_post_never_retried_on_5xx(
    client: HcpClient, recorder: Recorder, sleeps: SleepRecorder
) -> None:
    recorder.handler = lambda r: json_response(500, {})
    with pytest.raises(HcpServerError):
        await client.customers.create(first_name="Ann", mobile_number="5551234567")
    assert len(recorder.requests) == 1
    assert sleeps.delays == []


async def test_post_never_retried_on_429(client: HcpClient, recorder: Recorder) -> None:
    recorder.handler = lambda r: json_response(429, {}, {"retry-after": "1"})
    with pytest.raises(HcpRateLimitError):
        await client.jobs.create(customer_id="cus_1", address_id="adr_1")
    assert len(recorder.requests) == 1


async def test_post_not_retried_after_read_timeout(client: HcpClient, recorder: Recorder) -> None:
    recorder.handler = lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r))
    with pytest.raises(HcpTimeoutError) as info:
        await client.jobs.create(customer_id="cus_1", address_id="adr_1")
    assert info.value.request_sent is True
    assert len(recorder.requests) == 1


async def test_post_retried_when_connection_never_established(
    client: HcpClient, recorder: Recorder, sleeps: SleepRecorder
) -> None:
    recorder.queue.append(httpx.ConnectError("refused"))
    recorder.queue.append(json_response(201, {"id": "cus_new"}))
    customer = await client.customers.create(first_name="Ann")
    assert customer.id == "cus_new"
    assert len(recorder.requests) == 2 and len(sleeps.delays) == 1


async def test_429_honours_retry_after(
    client: HcpClient, recorder: Recorder, sleeps: SleepRecorder
) -> None:
    recorder.queue.append(json_response(429, {"message": "slow down"}, {"Retry-After": "4"}))
    recorder.queue.append(json_response(200, {"tags": []}))
    await client.tags.list()
    assert sleeps.delays == [4.0]


async def test_429_with_retry_after_over_cap_raises_at_once(
    client: HcpClient, recorder: Recorder, sleeps: SleepRecorder
) -> None:
    recorder.handler = lambda r: json_response(
        429, {"message": "slow down"}, {"Retry-After": "120"}
    )
    with pytest.raises(HcpRateLimitError) as info:
        await client.tags.list()
    assert sleeps.delays == [] and len(recorder.requests) == 1
    assert info.value.headers["retry-after"] == "120"


async def test_get_timeout_retried_then_raised(
    client: HcpClient, recorder: Recorder, sleeps: SleepRecorder
) -> None:
    recorder.handler = lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r))
    with pytest.raises(HcpTimeoutError, match="timed out") as info:
        await client.customers.list(q="x")
    assert isinstance(info.value, HcpConnectionError)
    assert len(recorder.requests) == 3 and len(sleeps.delays) == 2


async def test_connect_error_wrapped(recorder: Recorder, sleeps: SleepRecorder) -> None:
    recorder.handler = lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r))
    async with HcpClient(
        TEST_KEY, transport=httpx.MockTransport(recorder), sleep=sleeps, max_retries=0
    ) as c:
        with pytest.raises(HcpConnectionError) as info:
            await c.company.get()
    assert info.value.request_sent is False
    assert info.value.retryable


async def test_with_options_max_retries_zero_for_live_turn(
    client: HcpClient, recorder: Recorder
) -> None:
    recorder.handler = lambda r: json_response(503, {})
    with pytest.raises(HcpServerError):
        await client.with_options(max_retries=0).company.get()
    assert len(recorder.requests) == 1


async def test_put_retried_but_appending_bulk_update_is_not(
    client: HcpClient, recorder: Recorder
) -> None:
    recorder.handler = lambda r: json_response(503, {})
    with pytest.raises(HcpServerError):
        await client.jobs.bulk_update_line_items("job_1", [{"name": "Trip"}], append=True)
    assert len(recorder.requests) == 1
    with pytest.raises(HcpServerError):
        await client.jobs.bulk_update_line_items("job_1", [{"name": "Trip"}], append=False)
    assert len(recorder.requests) == 4


async def test_no_retry_on_4xx(client: HcpClient, recorder: Recorder) -> None:
    recorder.handler = lambda r: json_response(404, {})
    with pytest.raises(Exception):  # noqa: B017 - the class is checked in test_hcp_errors
        await client.jobs.get("job_x")
    assert len(recorder.requests) == 1

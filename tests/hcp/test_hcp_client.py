"""HcpClient core: auth header, domain allow-list, redirects, timeouts, options."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from hcp_fakes import TEST_KEY, Recorder, SleepRecorder, json_response

from hcp import DomainPolicy, HcpClient, HcpDomainNotAllowedError, HcpStatusError


async def test_sends_token_auth_header_and_json_accept(
    client: HcpClient, recorder: Recorder
) -> None:
    await client.company.get()
    req = recorder.last
    assert req.headers["authorization"] == f"Token {TEST_KEY}"
    assert req.headers["accept"] == "application/json"
    assert str(req.url) == "https://api.housecallpro.com/company"


async def test_key_never_in_repr(client: HcpClient) -> None:
    assert TEST_KEY not in repr(client)


def test_empty_key_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        HcpClient("  ")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("api.housecallpro.com", True),
        ("API.HousecallPro.com.", True),
        ("a.b.housecallpro.com", True),
        ("housecallpro.com", False),  # apex is not covered by "*.": list it explicitly
        ("evilhousecallpro.com", False),
        ("housecallpro.com.evil.test", False),
        ("127.0.0.1", False),
        ("localhost", False),
    ],
)
def test_default_policy(host: str, allowed: bool) -> None:
    assert DomainPolicy(("*.housecallpro.com",)).allows_host(host) is allowed


def test_local_hosts_only_when_listed_exactly() -> None:
    policy = DomainPolicy(("*.housecallpro.com", "127.0.0.1"))
    assert policy.allows_host("127.0.0.1")
    assert not policy.allows_host("localhost")
    # A wildcard can never admit a local name.
    assert not DomainPolicy(("*.localhost",)).allows_host("localhost")


def test_base_url_outside_allow_list_refused_at_construction() -> None:
    with pytest.raises(HcpDomainNotAllowedError) as info:
        HcpClient(TEST_KEY, base_url="http://127.0.0.1:8000")
    assert info.value.host == "127.0.0.1"
    assert "HCP_ALLOWED_DOMAINS" in str(info.value)
    assert TEST_KEY not in str(info.value)


def test_plain_http_refused_for_remote_host() -> None:
    with pytest.raises(HcpDomainNotAllowedError, match="not https"):
        HcpClient(TEST_KEY, base_url="http://api.housecallpro.com")


async def test_local_url_works_when_explicitly_allowed(recorder: Recorder) -> None:
    async with HcpClient(
        TEST_KEY,
        base_url="http://127.0.0.1:8765",
        allowed_domains=("127.0.0.1",),
        transport=httpx.MockTransport(recorder),
    ) as local:
        await local.company.get()
    assert recorder.last.url.host == "127.0.0.1"
    assert recorder.last.url.port == 8765


async def test_base_url_with_path_prefix(recorder: Recorder) -> None:
    async with HcpClient(
        TEST_KEY,
        base_url="http://testserver/hcp",
        allowed_domains=("testserver",),
        transport=httpx.MockTransport(recorder),
    ) as c:
        recorder.queue.append(json_response(200, {"id": "cus_1"}))
        await c.customers.get("cus_1")
    assert recorder.last.url.path == "/hcp/customers/cus_1"


async def test_redirect_to_foreign_host_is_refused_and_key_not_sent(
    client: HcpClient, recorder: Recorder
) -> None:
    recorder.queue.append(httpx.Response(302, headers={"location": "https://evil.example/steal"}))
    with pytest.raises(HcpDomainNotAllowedError) as info:
        await client.customers.get("cus_1")
    assert info.value.host == "evil.example"
    assert [r.url.host for r in recorder.requests] == ["api.housecallpro.com"]


async def test_redirect_to_http_downgrade_is_refused(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(
        httpx.Response(301, headers={"location": "http://api.housecallpro.com/customers/cus_1"})
    )
    with pytest.raises(HcpDomainNotAllowedError, match="not https"):
        await client.customers.get("cus_1")
    assert len(recorder.requests) == 1


async def test_redirect_to_same_origin_is_followed_for_get(
    client: HcpClient, recorder: Recorder
) -> None:
    recorder.queue.append(
        httpx.Response(307, headers={"location": "https://api.housecallpro.com/v2/customers/cus_1"})
    )
    recorder.queue.append(json_response(200, {"id": "cus_1"}))
    customer = await client.customers.get("cus_1")
    assert customer.id == "cus_1"
    second = recorder.requests[1]
    assert second.url.path == "/v2/customers/cus_1"
    assert second.headers["authorization"] == f"Token {TEST_KEY}"


@pytest.mark.parametrize(
    "location",
    [
        "https://api.housecallpro.com:8443/customers/cus_1",  # another port, same host
        "https://api2.housecallpro.com/customers/cus_1",  # another host inside the allowlist
        "https://user:pw@api.housecallpro.com/customers/cus_1",
    ],
)
async def test_redirect_off_origin_is_refused_and_key_not_resent(
    client: HcpClient, recorder: Recorder, location: str
) -> None:
    recorder.queue.append(httpx.Response(302, headers={"location": location}))
    with pytest.raises(HcpDomainNotAllowedError):
        await client.customers.get("cus_1")
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "base_url",
    [
        "https://user:secret@api.housecallpro.com",
        "https://api.housecallpro.com:8443",
        "https://api.housecallpro.com:80",
        "https://api.housecallpro.com.evil.com",
        "http://api.housecallpro.com:443",
    ],
)
def test_base_url_must_be_plain_https_443(base_url: str) -> None:
    with pytest.raises(HcpDomainNotAllowedError) as info:
        HcpClient(TEST_KEY, base_url=base_url)
    assert "secret" not in str(info.value)


def test_base_url_with_explicit_443_is_fine() -> None:
    HcpClient(TEST_KEY, base_url="https://api.housecallpro.com:443")


async def test_redirect_on_post_is_an_error_not_a_resend(
    client: HcpClient, recorder: Recorder
) -> None:
    recorder.queue.append(
        httpx.Response(307, headers={"location": "https://api.housecallpro.com/other"})
    )
    with pytest.raises(HcpStatusError) as info:
        await client.tags.create("vip")
    assert info.value.status_code == 307
    assert len(recorder.requests) == 1


async def test_redirect_loop_bounded(client: HcpClient, recorder: Recorder) -> None:
    recorder.handler = lambda r: httpx.Response(
        302, headers={"location": "https://api.housecallpro.com/company"}
    )
    with pytest.raises(Exception, match="redirects"):
        await client.company.get()
    assert len(recorder.requests) == 4


async def test_per_call_timeout_overrides_default(client: HcpClient, recorder: Recorder) -> None:
    await client.company.get(timeout=1.5)
    assert recorder.last.extensions["timeout"] == {
        "connect": 1.5,
        "read": 1.5,
        "write": 1.5,
        "pool": 1.5,
    }
    await client.company.get()
    assert recorder.last.extensions["timeout"]["connect"] == 3.0
    assert recorder.last.extensions["timeout"]["read"] == 5.0


async def test_with_options_shares_pool_and_keeps_original(
    client: HcpClient, recorder: Recorder
) -> None:
    fast = client.with_options(timeout=0.8, max_retries=0)
    assert fast._http is client._http
    assert fast.max_retries == 0 and client.max_retries == 2
    await fast.company.get()
    assert recorder.last.extensions["timeout"]["read"] == 0.8
    await fast.aclose()  # does not close the shared pool
    await client.company.get()
    assert len(recorder.requests) == 2


async def test_aclose_closes_pool(recorder: Recorder) -> None:
    c = HcpClient(TEST_KEY, transport=httpx.MockTransport(recorder))
    async with c:
        pass
    assert c._http.is_closed


async def test_ids_are_quoted_as_one_path_segment(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(json_response(200, {"id": "x"}))
    await client.customers.get("../jobs?x=1")
    assert recorder.last.url.raw_path == b"/customers/..%2Fjobs%3Fx%3D1"
    with pytest.raises(ValueError):
        await client.jobs.get("..")


async def test_array_params_use_brackets_and_times_go_out_as_utc_z(
    client: HcpClient, recorder: Recorder
) -> None:
    recorder.queue.append(json_response(200, {"jobs": []}))
    await client.jobs.list(
        work_status=["in progress", "needs scheduling", "in_progress"],
        scheduled_start_min=datetime(2026, 3, 1, 9, 30, 15, 999, tzinfo=UTC),
        expand=["appointments"],
    )
    params = recorder.last.url.params
    assert params.get_list("work_status[]") == ["in_progress", "unscheduled"]
    assert params.get_list("expand[]") == ["appointments"]
    assert params["scheduled_start_min"] == "2026-03-01T09:30:15Z"
    assert "work_status" not in params


async def test_naive_datetime_refused_before_sending(client: HcpClient, recorder: Recorder) -> None:
    with pytest.raises(ValueError, match="naive"):
        await client.jobs.list(scheduled_start_min=datetime(2026, 3, 1, 9, 0))
    assert recorder.requests == []


async def test_non_json_success_body_is_a_response_error(
    client: HcpClient, recorder: Recorder
) -> None:
    from hcp import HcpResponseError

    recorder.queue.append(httpx.Response(200, text="<html>ok</html>"))
    with pytest.raises(HcpResponseError, match="expected JSON"):
        await client.company.get()


async def test_response_not_matching_model_is_a_response_error(
    client: HcpClient, recorder: Recorder
) -> None:
    from hcp import HcpResponseError

    recorder.queue.append(json_response(200, {"first_name": "no id"}))
    with pytest.raises(HcpResponseError, match="Customer"):
        await client.customers.get("cus_1")


def test_sleep_is_injectable_default_is_asyncio() -> None:
    c = HcpClient(TEST_KEY)
    import asyncio

    assert c._sleep is asyncio.sleep
    assert isinstance(SleepRecorder(), SleepRecorder)


async def test_create_accepts_model_mapping_or_kwargs(
    client: HcpClient, recorder: Recorder
) -> None:
    from hcp import CustomerCreate

    recorder.handler = lambda r: json_response(201, {"id": "cus_1"})
    await client.customers.create(CustomerCreate(first_name="Ann"), last_name="Lee")
    await client.customers.create({"first_name": "Ann", "last_name": "Lee"})
    await client.customers.create(first_name="Ann", last_name="Lee")
    bodies = [recorder.body(i) for i in range(3)]
    assert bodies == [{"first_name": "Ann", "last_name": "Lee"}] * 3

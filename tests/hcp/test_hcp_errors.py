"""Error tree: every HCP error-body shape, 404 HTML, request ids, status classes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hcp_fakes import Recorder, json_response

import hcp
from hcp import (
    HcpAuthenticationError,
    HcpBadRequestError,
    HcpClient,
    HcpConflictError,
    HcpError,
    HcpNotFoundError,
    HcpPermissionDeniedError,
    HcpRateLimitError,
    HcpServerError,
    HcpStatusError,
    HcpUnprocessableError,
)
from hcp._errors import parse_error_body


@pytest.mark.parametrize(
    ("body", "message", "errors"),
    [
        ({"error": {"message": "Estimate not found"}}, "Estimate not found", {}),
        ({"error": "Pipeline not found"}, "Pipeline not found", {}),
        ({"message": "Unauthorized"}, "Unauthorized", {}),
        (
            {"message": "Lead source not found", "attribute": "lead_source"},
            "Lead source not found",
            {},
        ),
        (
            {"errors": {"status": "must be an array"}},
            "status must be an array",
            {"status": ["must be an array"]},
        ),
        (
            {"errors": {"name": ["is missing", "is short"]}},
            "name is missing / is short",
            {"name": ["is missing", "is short"]},
        ),
        ({"errors": ["first", "second"]}, "first; second", {}),
        ({}, "HTTP 404", {}),
        (
            "<!DOCTYPE html><html><body>The page you were looking for doesn't exist</body></html>",
            "non-JSON (HTML) error page",
            {},
        ),
        ("upstream connect error", "upstream connect error", {}),
        ("", "HTTP 404", {}),
        (None, "HTTP 404", {}),
        ([1, 2], "HTTP 404", {}),
    ],
)
def test_parse_error_body_shapes(body: Any, message: str, errors: dict[str, list[str]]) -> None:
    assert parse_error_body(body, 404) == (message, errors)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, HcpBadRequestError),
        (401, HcpAuthenticationError),
        (403, HcpPermissionDeniedError),
        (404, HcpNotFoundError),
        (409, HcpConflictError),
        (422, HcpUnprocessableError),
        (429, HcpRateLimitError),
        (500, HcpServerError),
        (503, HcpServerError),
        (418, HcpStatusError),
    ],
)
async def test_status_maps_to_class(
    status: int, cls: type[HcpStatusError], recorder: Recorder
) -> None:
    recorder.handler = lambda r: json_response(status, {"message": "nope"})
    async with HcpClient(
        "test-hcp-key-not-real", transport=httpx.MockTransport(recorder), max_retries=0
    ) as c:
        with pytest.raises(cls) as info:
            await c.customers.list(q="x")
    err = info.value
    assert type(err) is cls
    assert isinstance(err, HcpError)
    assert (err.status_code, err.method, err.path, err.message) == (
        status,
        "GET",
        "/customers",
        "nope",
    )
    assert err.retryable is (status in (429, 500, 503))


async def test_404_html_page_is_not_a_crash(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(
        httpx.Response(
            404,
            text="<html><body>Not Found</body></html>",
            headers={"content-type": "text/html", "x-request-id": "req-123"},
        )
    )
    with pytest.raises(HcpNotFoundError) as info:
        await client.customers.get("cus_gone")
    err = info.value
    assert err.body.startswith("<html>")
    assert err.request_id == "req-123"
    assert str(err) == (
        "GET /customers/cus_gone -> 404: non-JSON (HTML) error page (request id req-123)"
    )


async def test_422_field_errors_exposed(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(json_response(422, {"errors": {"status": ["must be an array"]}}))
    with pytest.raises(HcpUnprocessableError) as info:
        await client.invoices.list(status=["open"])
    assert info.value.errors == {"status": ["must be an array"]}
    assert info.value.body == {"errors": {"status": ["must be an array"]}}


async def test_400_lead_source_message(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(json_response(400, {"message": "Lead source not found"}))
    with pytest.raises(HcpBadRequestError, match="Lead source not found"):
        await client.jobs.create(customer_id="cus_1", address_id="adr_1", lead_source="Nope")


def test_error_tree_shape() -> None:
    assert issubclass(hcp.HcpTimeoutError, hcp.HcpConnectionError)
    assert issubclass(hcp.HcpConnectionError, HcpError)
    assert issubclass(hcp.HcpDomainNotAllowedError, HcpError)
    assert issubclass(hcp.HcpWebhookError, HcpError)
    assert issubclass(hcp.HcpResponseError, HcpError)
    for cls in (
        HcpBadRequestError,
        HcpAuthenticationError,
        HcpNotFoundError,
        HcpRateLimitError,
        HcpServerError,
        HcpUnprocessableError,
        HcpConflictError,
        HcpPermissionDeniedError,
    ):
        assert issubclass(cls, HcpStatusError)

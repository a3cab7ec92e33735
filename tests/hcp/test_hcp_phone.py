"""Phone normalisation and exact caller lookup on top of the fuzzy `q` search."""

from __future__ import annotations

import pytest
from hcp_fakes import Recorder, json_response

from hcp import HcpClient, normalize_phone
from hcp._phone import mask_phone, matches_any, search_digits


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(555) 123-4567", "+15551234567"),
        ("555.123.4567", "+15551234567"),
        ("+1 555 123 4567", "+15551234567"),
        ("15551234567", "+15551234567"),
        ("5551234567", "+15551234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("12", None),
        ("call me", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_phone(raw: str | None, e164: str | None) -> None:
    assert normalize_phone(raw) == e164


def test_helpers() -> None:
    assert search_digits("+15551234567") == "5551234567"
    assert matches_any("+15551234567", [None, "", "555-123-4567"])
    assert not matches_any("+15551234567", ["555-123-4568", "555-123-456"])
    assert mask_phone("+15551234567") == "***67"


async def test_find_by_phone_confirms_locally(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(
        json_response(
            200,
            {
                "page": 1,
                "page_size": 50,
                "total_pages": 1,
                "total_items": 4,
                "customers": [
                    {"id": "cus_mobile", "mobile_number": "5551234567"},
                    {"id": "cus_near", "mobile_number": "5551234568", "notes": "fuzzy hit"},
                    {"id": "cus_work", "mobile_number": None, "work_number": "(555) 123-4567"},
                    {"id": "cus_addr", "mobile_number": None, "home_number": "+1 555 000 0000"},
                ],
            },
        )
    )
    found = await client.customers.find_by_phone("+1 (555) 123-4567")
    assert [c.id for c in found] == ["cus_mobile", "cus_work"]
    params = recorder.last.url.params
    assert params["q"] == "5551234567" and params["page_size"] == "50"


async def test_find_by_phone_home_number(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(
        json_response(200, {"customers": [{"id": "c", "home_number": "555-123-4567"}]})
    )
    assert [c.id for c in await client.customers.find_by_phone("5551234567")] == ["c"]


async def test_find_by_phone_no_match(client: HcpClient, recorder: Recorder) -> None:
    recorder.queue.append(
        json_response(200, {"customers": [{"id": "c", "mobile_number": "5559999999"}]})
    )
    assert await client.customers.find_by_phone("5551234567") == []


async def test_find_by_phone_unparseable_makes_no_request(
    client: HcpClient, recorder: Recorder
) -> None:
    assert await client.customers.find_by_phone("anonymous") == []
    assert recorder.requests == []

"""Page normalisation across HCP's envelopes, and iter_all over pages."""

from __future__ import annotations

import httpx
import pytest
from hcp_fakes import Recorder, json_response

from hcp import Customer, HcpClient, Page, Tag, iter_all
from hcp._pagination import parse_page


def test_standard_envelope() -> None:
    page = parse_page(
        {
            "page": 2,
            "page_size": 2,
            "total_pages": 3,
            "total_items": 5,
            "customers": [{"id": "cus_1"}, {"id": "cus_2"}],
        },
        "customers",
        Customer,
    )
    assert [c.id for c in page] == ["cus_1", "cus_2"]
    assert (page.page, page.page_size, page.total_pages, page.total_items) == (2, 2, 3, 5)
    assert page.has_next and len(page) == 2


def test_price_book_envelope() -> None:
    page = parse_page(
        {
            "object": "list",
            "page": 1,
            "page_size": 10,
            "total_pages_count": 1,
            "total_count": 1,
            "data": [{"id": "t_1", "name": "a"}],
        },
        "tags",
        Tag,
    )
    assert page.total_pages == 1 and page.total_items == 1 and not page.has_next


def test_unpaged_envelopes_are_one_page() -> None:
    for data in (
        {"tags": [{"id": "t", "name": "n"}]},
        {"object": "list", "data": [{"id": "t", "name": "n"}]},
        [{"id": "t", "name": "n"}],
    ):
        page = parse_page(data, "tags", Tag)
        assert len(page) == 1 and not page.has_next


def test_single_object_data_is_one_item() -> None:
    assert len(parse_page({"data": {"id": "t", "name": "n"}}, "tags", Tag)) == 1


def test_missing_totals_fall_back_to_full_page() -> None:
    full = Page(items=[1, 2], page=1, page_size=2)
    short = Page(items=[1], page=1, page_size=2)
    assert full.has_next and not short.has_next


async def test_iter_all_walks_every_page(client: HcpClient, recorder: Recorder) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page"])
        rows = {1: ["a", "b"], 2: ["c", "d"], 3: ["e"]}[n]
        return json_response(
            200,
            {
                "page": n,
                "page_size": 2,
                "total_pages": 3,
                "total_items": 5,
                "customers": [{"id": f"cus_{r}"} for r in rows],
            },
        )

    recorder.handler = handler
    ids = [
        c.id async for c in iter_all(lambda p: client.customers.list(q="x", page=p, page_size=2))
    ]
    assert ids == ["cus_a", "cus_b", "cus_c", "cus_d", "cus_e"]
    assert [r.url.params["page"] for r in recorder.requests] == ["1", "2", "3"]
    assert all(r.url.params["q"] == "x" for r in recorder.requests)


async def test_iter_all_respects_max_pages(client: HcpClient, recorder: Recorder) -> None:
    recorder.handler = lambda r: json_response(
        200,
        {
            "page": int(r.url.params["page"]),
            "page_size": 1,
            "total_pages": 99,
            "total_items": 99,
            "tags": [{"id": "t", "name": "n"}],
        },
    )
    items = [t async for t in iter_all(lambda p: client.tags.list(page=p), max_pages=3)]
    assert len(items) == 3 and len(recorder.requests) == 3


async def test_iter_all_stops_on_empty_page(client: HcpClient, recorder: Recorder) -> None:
    recorder.handler = lambda r: json_response(
        200, {"page": 1, "page_size": 10, "total_pages": 5, "total_items": 0, "tags": []}
    )
    assert [t async for t in iter_all(lambda p: client.tags.list(page=p))] == []
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("bad", [{"customers": [{"first_name": "no id"}]}])
async def test_bad_row_is_a_response_error(
    client: HcpClient, recorder: Recorder, bad: object
) -> None:
    from hcp import HcpResponseError

    recorder.queue.append(json_response(200, bad))
    with pytest.raises(HcpResponseError):
        await client.customers.list()


async def test_iter_all_advances_even_if_server_echoes_page_one(
    client: HcpClient, recorder: Recorder
) -> None:
    recorder.handler = lambda r: json_response(
        200,
        {
            "page": 1,
            "page_size": 1,
            "total_pages": 3,
            "total_items": 3,
            "tags": [{"id": r.url.params["page"], "name": "n"}],
        },
    )
    ids = [t.id async for t in iter_all(lambda p: client.tags.list(page=p))]
    assert ids == ["1", "2", "3"]

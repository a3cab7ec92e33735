"""One page object for every HCP list shape, and an async iterator over all pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from hcp._constants import DEFAULT_MAX_PAGES

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results.

    Attributes:
        items: The records on this page.
        page: 1-based page number.
        page_size: Requested/returned page size, if known.
        total_pages: Number of pages, if the envelope says.
        total_items: Number of records across all pages, if the envelope says.
    """

    items: list[T]
    page: int = 1
    page_size: int | None = None
    total_pages: int | None = None
    total_items: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_next(self) -> bool:
        """True when a later page exists (by `total_pages`, else by a full page)."""
        if self.total_pages is not None:
            return self.page < self.total_pages
        return bool(self.items) and self.page_size is not None and len(self.items) >= self.page_size

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def parse_page(data: Any, key: str, model: type[M], *, page: int = 1) -> Page[M]:
    """Normalise an HCP list envelope into a `Page`.

    Handles ``{page, page_size, total_pages, total_items, <key>: [...]}``, the price-book
    ``{page, page_size, total_pages_count, total_count, data: [...]}``, ``{<key>: [...]}``
    and ``{"object": "list", "data": [...]}`` (one page), and a bare list.
    """
    if isinstance(data, list):
        rows: Any = data
        envelope: dict[str, Any] = {}
    elif isinstance(data, dict):
        envelope = data
        rows = data.get(key)
        if rows is None:
            rows = data.get("data", [])
    else:
        envelope, rows = {}, []
    if isinstance(rows, dict):  # spec declares some `data` as a single object
        rows = [rows]
    items = [model.model_validate(row) for row in rows or []]
    total_pages = _int(envelope.get("total_pages", envelope.get("total_pages_count")))
    if total_pages is None and "page" not in envelope:
        total_pages = 1
    return Page(
        items=items,
        page=_int(envelope.get("page")) or page,
        page_size=_int(envelope.get("page_size", envelope.get("per_page"))),
        total_pages=total_pages,
        total_items=_int(envelope.get("total_items", envelope.get("total_count"))),
        raw=envelope,
    )


async def iter_all(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    start_page: int = 1,
    max_pages: int | None = DEFAULT_MAX_PAGES,
) -> AsyncIterator[T]:
    """Yield every item of every page, fetching pages lazily.

    Args:
        fetch: Called with a page number; e.g. ``lambda p: client.customers.list(q="x", page=p)``.
        start_page: First page to fetch.
        max_pages: Safety bound on the number of pages fetched (None: no bound).
    """
    number = start_page
    fetched = 0
    while True:
        page = await fetch(number)
        fetched += 1
        for item in page.items:
            yield item
        if not page.items or (max_pages is not None and fetched >= max_pages):
            return
        # Judge "more" by the page we asked for, not the page the server echoes.
        more = number < page.total_pages if page.total_pages is not None else page.has_next
        if not more:
            return
        number += 1

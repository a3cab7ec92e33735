"""``/customers`` and ``/customers/{id}/addresses``, plus exact phone lookup."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from hcp._constants import PHONE_SEARCH_PAGE_SIZE
from hcp._pagination import Page
from hcp._params import build_params, segment
from hcp._phone import DEFAULT_REGION, mask_phone, matches_any, normalize_phone, search_digits
from hcp.models.customers import Address, AddressCreate, Customer, CustomerCreate, CustomerUpdate
from hcp.resources._base import Resource, Timeout, request_body

logger = logging.getLogger("hcp.customers")


class CustomersResource(Resource):
    """Customers: search, get, create, update, addresses, `find_by_phone`."""

    async def list(
        self,
        *,
        q: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        location_ids: Iterable[str] | None = None,
        expand: Iterable[str] | None = None,
        timeout: Timeout = None,
    ) -> Page[Customer]:
        """``GET /customers``; `q` is a fuzzy match on name, email, mobile number and address."""
        params = build_params(
            q=q,
            page=page,
            page_size=page_size,
            sort_by=sort_by,
            sort_direction=sort_direction,
            location_ids=list(location_ids) if location_ids is not None else None,
            expand=list(expand) if expand is not None else None,
        )
        data = await self._call("GET", "/customers", params=params, timeout=timeout)
        return self._page(Customer, data, "customers", "GET", "/customers", page)

    async def get(
        self, customer_id: str, *, expand: Iterable[str] | None = None, timeout: Timeout = None
    ) -> Customer:
        """``GET /customers/{customer_id}`` (includes addresses)."""
        path = f"/customers/{segment(customer_id)}"
        params = build_params(expand=list(expand) if expand is not None else None)
        data = await self._call("GET", path, params=params, timeout=timeout)
        return self._model(Customer, data, "GET", path)

    async def create(
        self,
        data: CustomerCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Customer:
        """``POST /customers`` (never retried: look up by phone first to avoid duplicates)."""
        body = request_body(CustomerCreate, data, fields)
        result = await self._call("POST", "/customers", json=body, timeout=timeout)
        return self._model(Customer, result, "POST", "/customers")

    async def update(
        self,
        customer_id: str,
        data: CustomerUpdate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Customer:
        """``PUT /customers/{customer_id}``; only the fields given are sent."""
        path = f"/customers/{segment(customer_id)}"
        body = request_body(CustomerUpdate, data, fields)
        result = await self._call("PUT", path, json=body, timeout=timeout)
        return self._model(Customer, result, "PUT", path)

    async def list_addresses(
        self,
        customer_id: str,
        *,
        page: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        timeout: Timeout = None,
    ) -> Page[Address]:
        """``GET /customers/{customer_id}/addresses``."""
        path = f"/customers/{segment(customer_id)}/addresses"
        params = build_params(
            page=page, page_size=page_size, sort_by=sort_by, sort_direction=sort_direction
        )
        data = await self._call("GET", path, params=params, timeout=timeout)
        return self._page(Address, data, "addresses", "GET", path, page)

    async def get_address(
        self, customer_id: str, address_id: str, *, timeout: Timeout = None
    ) -> Address:
        """``GET /customers/{customer_id}/addresses/{address_id}``."""
        path = f"/customers/{segment(customer_id)}/addresses/{segment(address_id)}"
        data = await self._call("GET", path, timeout=timeout)
        return self._model(Address, data, "GET", path)

    async def create_address(
        self,
        customer_id: str,
        data: AddressCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Address:
        """``POST /customers/{customer_id}/addresses``."""
        path = f"/customers/{segment(customer_id)}/addresses"
        body = request_body(AddressCreate, data, fields)
        result = await self._call("POST", path, json=body, timeout=timeout)
        return self._model(Address, result, "POST", path)

    async def find_by_phone(
        self, phone: str, *, region: str = DEFAULT_REGION, timeout: Timeout = None
    ) -> builtins.list[Customer]:
        """Customers whose mobile, home or work number is exactly `phone`.

        Normalises `phone` with `phonenumbers`, searches ``q=<national digits>``, then keeps
        only customers with a number that normalises to the same E.164 value (HCP's `q` is
        fuzzy). Returns [] for an unparseable number without calling HCP.
        """
        e164 = normalize_phone(phone, region)
        if e164 is None:
            logger.debug("find_by_phone: unparseable number %s", mask_phone(phone))
            return []
        page = await self.list(
            q=search_digits(e164), page_size=PHONE_SEARCH_PAGE_SIZE, timeout=timeout
        )
        matches: builtins.list[Customer] = [
            c for c in page.items if matches_any(e164, c.phone_numbers, region)
        ]
        logger.debug(
            "find_by_phone %s: %d candidates, %d exact",
            mask_phone(e164),
            len(page.items),
            len(matches),
        )
        return matches

"""Shared plumbing for resources: request helpers and response validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from hcp._errors import HcpResponseError
from hcp._pagination import Page, parse_page
from hcp._params import QueryParams
from hcp.models._base import HcpRequest

if TYPE_CHECKING:
    from hcp._client import HcpClient

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=HcpRequest)
Timeout = float | httpx.Timeout | None


def request_body(
    model: type[R], data: R | Mapping[str, Any] | None, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate a request body given as a model, a mapping, or keyword fields.

    Raises:
        pydantic.ValidationError: On bad input (e.g. a naive datetime), before any request.
    """
    if data is None:
        obj = model.model_validate(dict(fields))
    elif isinstance(data, model):
        obj = data.model_copy(update=dict(fields)) if fields else data
        obj = model.model_validate(obj.model_dump())
    else:
        obj = model.model_validate({**dict(data), **dict(fields)})
    return obj.to_body()


class Resource:
    """Base class: holds the client and validates responses into models."""

    def __init__(self, client: HcpClient) -> None:
        self._client = client

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        timeout: Timeout = None,
        idempotent: bool | None = None,
    ) -> Any:
        return await self._client.request(
            method, path, params=params, json=json, timeout=timeout, idempotent=idempotent
        )

    @staticmethod
    def _model(model: type[M], data: Any, method: str, path: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise HcpResponseError(
                f"response does not match {model.__name__}: {exc.error_count()} error(s): "
                f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
                method=method,
                path=path,
            ) from exc

    @staticmethod
    def _page(
        model: type[M], data: Any, key: str, method: str, path: str, page: int | None
    ) -> Page[M]:
        try:
            return parse_page(data, key, model, page=page or 1)
        except ValidationError as exc:
            raise HcpResponseError(
                f"list response does not match {model.__name__}: {exc.error_count()} error(s)",
                method=method,
                path=path,
            ) from exc

    def _list_of(self, model: type[M], data: Any, key: str, method: str, path: str) -> list[M]:
        return self._page(model, data, key, method, path, 1).items

"""Validate every sandbox response against hcp/spec/openapi.yaml (openapi-core).

A response that fails validation is accepted only when it matches a named deviation
below, each one recorded in /work/shared/hcp/README.md as live HCP behaviour; the test
that provokes it must declare it with `@pytest.mark.hcp_deviation("<name>")`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).resolve().parents[2] / "hcp" / "spec" / "openapi.yaml"
SPEC_HOST = "https://api.housecallpro.com"
CONTROL_PREFIX = "/sandbox/"


@cache
def spec() -> OpenAPI:
    """The HCP spec, loaded once; the spec itself is not validated (it has known slips)."""
    data = yaml.safe_load(SPEC_PATH.read_text())
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _is_message(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"message"} and isinstance(body["message"], str)


def _is_error(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"error"}
        and isinstance(body["error"], dict)
        and isinstance(body["error"].get("message"), str)
    )


def _is_errors(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"errors"}
        and all(isinstance(v, list) for v in body["errors"].values())
    )


def _without_form_id(body: Any) -> Any:
    """`body` minus a well-formed `pbpf_<32 hex>` id (which no value can validate: the
    spec asks for both `format: uuid` and `pattern: ^pbpf_...`)."""
    if isinstance(body, dict) and re.fullmatch(r"pbpf_[a-f0-9]{32}", str(body.get("id"))):
        return {k: v for k, v in body.items() if k != "id"}
    return body


def _valid_with(request: httpx.Request, response: httpx.Response, body: Any) -> bool:
    """True when `response` would pass the spec with `body` in place of its own."""
    fixed = httpx.Response(response.status_code, json=body, request=request)
    try:
        spec().validate_response(_SpecRequest(request), _SpecResponse(fixed))
    except Exception:
        return False
    return True


Check = Callable[[httpx.Request, httpx.Response, Any], bool]

# name -> (README section that records the live behaviour, predicate)
DEVIATIONS: dict[str, tuple[str, Check]] = {
    "401-message-unauthorized": (
        "§1 Authentication: 401 body is {'message':'Unauthorized'} (not in the spec)",
        lambda rq, rs, b: rs.status_code == 401 and b == {"message": "Unauthorized"},
    ),
    "404-html-unknown-route": (
        "§1 Error bodies: unknown routes return a 404 HTML page, not JSON",
        lambda rq, rs, b: (
            rs.status_code == 404 and rs.headers.get("content-type", "").startswith("text/html")
        ),
    ),
    "404-error-message": (
        "§1 Error bodies: spec ErrorResponse {'error':{'message'}} on ops that list no 404",
        lambda rq, rs, b: rs.status_code == 404 and _is_error(b),
    ),
    "400-lead-source-not-found": (
        "§1 Known business errors: 400 'Lead source not found'",
        lambda rq, rs, b: rs.status_code == 400 and b == {"message": "Lead source not found"},
    ),
    "400-message": (
        "§1 Error bodies: {'message': ...} on some 400s (e.g. 'Customer is required')",
        lambda rq, rs, b: rs.status_code == 400 and _is_message(b),
    ),
    "422-errors": (
        "§1 Error bodies / §2 Array query parameters: 422 {'errors': {field: [...]}}",
        lambda rq, rs, b: rs.status_code == 422 and _is_errors(b),
    ),
    "429-retry-after": (
        "§1 Rate limits and 429: HCP throttles with 429 and Retry-After (undocumented)",
        lambda rq, rs, b: rs.status_code == 429 and "retry-after" in rs.headers,
    ),
    "5xx-server-error": (
        "§1 Rate limits / reliability: 5xx are possible and undocumented",
        lambda rq, rs, b: rs.status_code >= 500 and _is_error(b),
    ),
    "approve-copied-job-id-null": (
        "§6 Estimates: with auto-copy off, a live probe got `copied_on_approval_to_job_id: "
        "null` (the spec types it as a non-null string)",
        lambda rq, rs, b: (
            rq.url.path == "/estimates/options/approve"
            and isinstance(b, dict)
            and b.get("copied_on_approval_to_job_id", "") is None
            and _valid_with(rq, rs, {k: v for k, v in b.items() if v is not None})
        ),
    ),
    "price-form-id-prefixed": (
        "§2 IDs: price forms have `pbpf_` ids; the spec's `format: uuid` contradicts its own "
        "`pattern: ^pbpf_...` (accepted when the rest of the body is valid)",
        lambda rq, rs, b: (
            rs.status_code == 200
            and rq.url.path.startswith("/api/price_book/price_forms/")
            and _valid_with(rq, rs, _without_form_id(b))
        ),
    ),
    "price-book-list-data-array": (
        "§2 Pagination: price-book lists answer {object, page, ..., data, url}; the spec "
        "types `data` as one object, live it is the list (each item must be valid)",
        lambda rq, rs, b: (
            rs.status_code == 200
            and rq.url.path.startswith("/api/price_book/")
            and isinstance(b, dict)
            and isinstance(b.get("data"), list)
            and all(
                _valid_with(rq, rs, {**b, "data": _without_form_id(item)}) for item in b["data"]
            )
        ),
    ),
    "price-book-category-list-object-integer": (
        "§2 Pagination: price-book lists answer {object: 'list', ..., data: [...]}; for "
        "material categories the spec types `object` as an integer (its own description "
        "says 'list') and `data` as one object (each item must be valid)",
        lambda rq, rs, b: (
            rs.status_code == 200
            and rq.url.path == "/api/price_book/material_categories"
            and isinstance(b, dict)
            and b.get("object") == "list"
            and isinstance(b.get("data"), list)
            and all(
                _valid_with(rq, rs, {**_without(b, "object"), "data": item}) for item in b["data"]
            )
        ),
    ),
}


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


# Slips in the spec document itself that Schemathesis cannot read past (the sandbox is not
# involved): (where, reason, fix). Applied to a copy; hcp/spec/openapi.yaml stays as HCP
# published it.
SPEC_DOCUMENT_SLIPS: list[tuple[tuple[str, ...], str, Any]] = [
    (
        (
            "paths",
            "/jobs/{job_id}/appointments/{appointment_id}",
            "delete",
            "requestBody",
            "content",
            "application/json",
            "schema",
        ),
        "`allOf: []` (an empty allOf is invalid JSON Schema); the DELETE takes no body",
        {"type": "object"},
    ),
]


def spec_for_schemathesis() -> dict[str, Any]:
    """The spec as a dict with `SPEC_DOCUMENT_SLIPS` fixed (each must still be present)."""
    data: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    for where, reason, fix in SPEC_DOCUMENT_SLIPS:
        node = data
        for key in where[:-1]:
            node = node[key]
        assert node[where[-1]] != fix, f"spec slip no longer present ({reason})"
        node[where[-1]] = fix
    return data


class _SpecRequest:
    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        query = parse_qs(request.url.query.decode(), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(
                [(k.removesuffix("[]"), v) for k, vs in query.items() for v in vs]
            ),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict({}),
        )

    host_url = SPEC_HOST

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.content or None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("content-type", "application/json")


class _SpecResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def data(self) -> bytes:
        return self._response.content

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "")

    @property
    def headers(self) -> Headers:
        return Headers(dict(self._response.headers))


@dataclass
class ContractLog:
    """What the wrapper saw: validated responses, deviations used, control calls."""

    validated: int = 0
    control: int = 0
    deviations: set[str] = field(default_factory=set)

    def check(self, request: httpx.Request, response: httpx.Response) -> None:
        """Validate one exchange; raise AssertionError when it matches neither spec nor a
        named deviation."""
        if request.url.path.startswith(CONTROL_PREFIX):
            self.control += 1
            return
        try:
            spec().validate_response(_SpecRequest(request), _SpecResponse(response))
        except Exception as exc:  # openapi-core raises several unrelated types
            body = _json(response)
            for name, (_, matches) in DEVIATIONS.items():
                if matches(request, response, body):
                    self.deviations.add(name)
                    return
            detail = json.dumps(body)[:800] if body is not None else response.text[:300]
            raise AssertionError(
                f"{request.method} {request.url.path} -> {response.status_code} violates the "
                f"spec: {repr(exc.__cause__ or exc)[-600:]}\n{detail}"
            ) from exc
        self.validated += 1


class ValidatingTransport(httpx.AsyncBaseTransport):
    """Wrap a transport so every response is checked by `log` before the caller sees it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, log: ContractLog) -> None:
        self._inner = inner
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        await response.aread()
        self.log.check(request, response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

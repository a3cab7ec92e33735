"""`X-Twilio-Signature` checking: forged, missing, tampered, wrong URL, proxy, no token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.datastructures import Headers
from starlette.formparsers import FormParser

from voice_agent.channels.twilio_auth import _urlencoded
from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.phones import mask as mask_number
from voice_agent.storage import SqlStore

from .conftest import (
    CALLER,
    PUBLIC,
    FakeEngine,
    serving,
    signed,
    voice_settings,
)

pytestmark = pytest.mark.usefixtures("settings")


def incoming(call: SimulatedCall) -> dict[str, str]:
    return call.base_params("ringing")


async def no_conversations(store: SqlStore) -> bool:
    return await store.list_conversations() == []


async def test_valid_signature_is_accepted(call, store: SqlStore) -> None:
    reply = await call().start()
    assert reply.status == 200
    assert reply.gather is not None
    assert len(await store.list_conversations()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": ""},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        {"X-Twilio-Signature": "caf\u00e9".encode()},
    ],
    ids=["missing", "empty", "forged", "non-ascii"],
)
async def test_missing_or_forged_signature_is_refused(
    client: httpx.AsyncClient, call, store: SqlStore, engine: FakeEngine, headers: dict[str, Any]
) -> None:
    response = await client.post("/twilio/voice", data=incoming(call()), headers=headers)
    assert response.status_code == 403
    assert await no_conversations(store)
    assert engine.runs == []


async def test_tampered_parameter_is_refused(client: httpx.AsyncClient, call, store) -> None:
    params = incoming(call())
    headers = signed(f"{PUBLIC}/twilio/voice", params)
    params["From"] = "+12125550111"  # changed after signing
    response = await client.post("/twilio/voice", data=params, headers=headers)
    assert response.status_code == 403
    assert await no_conversations(store)


async def test_extra_parameter_is_refused(client: httpx.AsyncClient, call, store) -> None:
    params = incoming(call())
    headers = signed(f"{PUBLIC}/twilio/voice", params)
    response = await client.post("/twilio/voice", data={**params, "X": "1"}, headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "signed_url",
    [
        "http://testserver/twilio/voice",  # the internal URL, not the public one
        "http://voice.example.test/twilio/voice",  # wrong scheme
        "https://evil.example.test/twilio/voice",  # wrong host
        f"{PUBLIC}/twilio/voice/turn",  # another path
    ],
)
async def test_signature_for_another_url_is_refused(
    client: httpx.AsyncClient, call, store, signed_url: str
) -> None:
    params = incoming(call())
    response = await client.post("/twilio/voice", data=params, headers=signed(signed_url, params))
    assert response.status_code == 403
    assert await no_conversations(store)


async def test_query_string_is_covered(client: httpx.AsyncClient, call) -> None:
    sim = call()
    await sim.start()
    params = {**sim.base_params(), "SpeechResult": "hello"}
    headers = signed(f"{PUBLIC}/twilio/voice/turn?seq=1", params)
    response = await client.post("/twilio/voice/turn?seq=2", data=params, headers=headers)
    assert response.status_code == 403


async def test_public_url_with_default_port_is_accepted(client: httpx.AsyncClient, call) -> None:
    # Behind a proxy the app sees http://testserver; Twilio sometimes signs with :443.
    params = incoming(call())
    headers = signed("https://voice.example.test:443/twilio/voice", params)
    response = await client.post("/twilio/voice", data=params, headers=headers)
    assert response.status_code == 200


async def test_request_url_is_used_without_public_base_url(
    tmp_path: Path, store: SqlStore, engine: FakeEngine
) -> None:
    settings = voice_settings(tmp_path, public_base_url=None)
    async with serving(settings, store, engine) as client:
        sim = SimulatedCall(
            client, auth_token="test-twilio-token-not-real", public_base_url="http://testserver"
        )
        assert (await sim.start()).status == 200


async def test_without_auth_token_twilio_routes_answer_503(
    tmp_path: Path, store: SqlStore, engine: FakeEngine
) -> None:
    settings = voice_settings(tmp_path, twilio_auth_token=None)
    async with serving(settings, store, engine) as client:
        params = {"CallSid": "CA" + "1" * 32, "From": CALLER}
        for path in ("/twilio/voice", "/twilio/voice/turn?seq=1", "/twilio/voice/status"):
            response = await client.post(path, data=params, headers=signed(PUBLIC + path, params))
            assert response.status_code == 503
            assert "TWILIO_AUTH_TOKEN" in response.text
        assert (await client.get("/healthz")).status_code == 200
    assert await no_conversations(store)


async def test_oversized_body_is_refused(client: httpx.AsyncClient, call, store) -> None:
    params = {**incoming(call()), "Junk": "x" * 100_000}
    headers = signed(f"{PUBLIC}/twilio/voice", params)
    response = await client.post("/twilio/voice", data=params, headers=headers)
    assert response.status_code == 413
    assert await no_conversations(store)


async def test_rejection_is_logged_without_the_full_number(
    client: httpx.AsyncClient, call, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        await client.post("/twilio/voice", data=incoming(call()), headers={})
    messages = [r.getMessage() for r in caplog.records if "security" in r.getMessage()]
    assert messages, "a security event is logged"
    assert all(CALLER not in m and CALLER[2:] not in m for m in messages)
    assert mask_number(CALLER) in messages[0]


async def test_an_oversized_body_without_a_length_is_refused(
    client: httpx.AsyncClient, call, store
) -> None:
    params = {**incoming(call()), "Junk": "x" * 100_000}
    headers = signed(f"{PUBLIC}/twilio/voice", params)
    body = urlencode(params).encode()

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: sent in chunks
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = await client.post("/twilio/voice", content=chunked(), headers=headers)
    assert response.status_code == 413
    assert await no_conversations(store)


@pytest.mark.parametrize(
    "body",
    [
        b"SpeechResult=S%C3%AD%2C+ma%C3%B1ana&Confidence=0.9&Digits=&Flag",
        b"a=1&a=2&b=x+y%2Bz&c=%3D%26&d=\xe9t\xe9&e=%ZZ&&f",
    ],
)
async def test_twilio_bodies_parse_exactly_as_starlette_s_form_parser(body: bytes) -> None:
    async def stream() -> AsyncIterator[bytes]:
        yield body

    headers = Headers({"content-type": "application/x-www-form-urlencoded"})
    expected = await FormParser(headers, stream()).parse()
    assert list(_urlencoded(body).multi_items()) == list(expected.multi_items())


async def test_a_signed_spanish_utterance_is_accepted(call, store: SqlStore) -> None:
    simulated = call()
    assert (await simulated.start()).status == 200
    reply = await simulated.say("Sí, mañana por la mañana está bien")
    assert reply.status == 200

"""Call recordings: started by TwiML, linked by a signed callback, played and deleted
through the server against a local fake of Twilio's Recordings API, retention enforced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.web.conftest import ADMIN_PASSWORD, csrf_of, login
from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.recordings import RECORDING_PATH, TwilioRecordings, purge_expired
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore
from voice_agent.testing.fake_twilio import FAKE_ACCOUNT_SID, FakeTwilioServer

from .conftest import PUBLIC, TOKEN, serving, signed, voice_settings

pytestmark = pytest.mark.usefixtures("settings")

RECORDING = "RE" + "a" * 32
AUDIO = b"ID3" + bytes(range(256)) * 8


@asynccontextmanager
async def dashboard(settings: Settings, store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app over https (the dashboard's cookies are Secure behind an https URL)."""
    async with serving(settings, store) as client:
        client.base_url = httpx.URL(PUBLIC)
        yield client


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilioServer]:
    async with FakeTwilioServer(auth_token=TOKEN) as fake:
        yield fake


def recorded(settings: Settings, fake: FakeTwilioServer | None = None, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "call_recording": True,
        "twilio_account_sid": FAKE_ACCOUNT_SID,
        "admin_password": SecretStr(ADMIN_PASSWORD),
        **extra,
    }
    if fake is not None:
        values["twilio_api_base_url"] = fake.base_url
    return voice_settings(settings.data_dir, **values)


def callback(call_sid: str, url: str, status: str = "completed", **extra: str) -> dict[str, str]:
    return {
        "AccountSid": FAKE_ACCOUNT_SID,
        "CallSid": call_sid,
        "RecordingSid": RECORDING,
        "RecordingUrl": url,
        "RecordingStatus": status,
        "RecordingDuration": "42",
        "RecordingChannels": "2",
        "RecordingSource": "StartCallRecordingTwiML",
        **extra,
    }


async def post_callback(client: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    headers = signed(PUBLIC + RECORDING_PATH, params)
    return await client.post(RECORDING_PATH, data=params, headers=headers)


async def test_greeting_starts_a_whole_call_recording_only_when_on(
    settings: Settings, store: SqlStore
) -> None:
    async with serving(recorded(settings), store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
        greeting = await sim.start()
    body = greeting.exchanges[0].body
    assert "<Start><Recording" in body
    assert f'recordingStatusCallback="{PUBLIC}{RECORDING_PATH}"' in body
    assert 'channels="dual"' in body and "recorded" in greeting.text.lower()

    async with serving(voice_settings(settings.data_dir), store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
        plain = await sim.start()
    assert "<Recording" not in plain.exchanges[0].body


async def test_signed_callback_links_the_recording_once(
    settings: Settings, store: SqlStore, fake_twilio: FakeTwilioServer
) -> None:
    async with serving(recorded(settings, fake_twilio), store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
        await sim.start()
        url = fake_twilio.add_recording(RECORDING, AUDIO)
        params = callback(sim.call_sid, url)

        forged = await client.post(RECORDING_PATH, data=params, headers={"X-Twilio-Signature": "x"})
        assert forged.status_code == 403
        [conversation] = await store.list_conversations()
        assert await store.list_recordings(conversation.id) == []

        not_final = await post_callback(client, callback(sim.call_sid, url, "in-progress"))
        assert not_final.status_code == 204
        assert await store.list_recordings(conversation.id) == []

        for _ in range(2):  # Twilio retries: still one recording
            assert (await post_callback(client, params)).status_code == 204
        unknown = await post_callback(client, callback("CA" + "f" * 32, url))
        assert unknown.status_code == 204

    [recording] = await store.list_recordings(conversation.id)
    assert recording.sid == RECORDING and recording.status == "completed"
    assert recording.duration_seconds == 42 and recording.channels == 2


async def test_dashboard_plays_the_recording_through_the_server_and_deletes_it(
    settings: Settings, store: SqlStore, fake_twilio: FakeTwilioServer
) -> None:
    async with dashboard(recorded(settings, fake_twilio), store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
        await sim.start()
        url = fake_twilio.add_recording(RECORDING, AUDIO)
        await post_callback(client, callback(sim.call_sid, url))
        [conversation] = await store.list_conversations()
        assert (await login(client)).status_code == 303

        page = await client.get(f"/calls/{conversation.id}")
        src = f"/calls/{conversation.id}/recordings/{RECORDING}"
        assert f'<audio controls preload="none" src="{src}">' in page.text
        assert TOKEN not in page.text and fake_twilio.base_url not in page.text

        audio = await client.get(src)
        assert audio.status_code == 200 and audio.content == AUDIO
        assert audio.headers["content-type"] == "audio/mpeg"
        assert TOKEN.encode() not in audio.content and "authorization" not in audio.headers
        assert fake_twilio.media_requests[-1]["authorization"].startswith("Basic ")
        part = await client.get(src, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == AUDIO[10:20]

        elsewhere = await client.get(f"/calls/{'0' * 32}/recordings/{RECORDING}")
        assert elsewhere.status_code == 404

        no_csrf = await client.post(f"{src}/delete")
        assert no_csrf.status_code == 403 and fake_twilio.deleted == []
        deleted = await client.post(f"{src}/delete", data={"csrf_token": csrf_of(page.text)})
        assert deleted.status_code == 303
        assert fake_twilio.deleted == [RECORDING]
        assert (await client.get(src)).status_code == 410
        assert "<audio" not in (await client.get(f"/calls/{conversation.id}")).text

    async with dashboard(recorded(settings, fake_twilio), store) as client:
        assert (await client.get(src)).status_code == 303  # login first


async def test_retention_deletes_old_recordings_at_twilio(
    settings: Settings, store: SqlStore, fake_twilio: FakeTwilioServer
) -> None:
    async with serving(recorded(settings, fake_twilio), store) as client:
        sims = [SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC) for _ in range(2)]
        for sim in sims:
            await sim.start()
    old_sid, new_sid = "RE" + "1" * 32, "RE" + "2" * 32
    conversations = {c.external_id: c for c in await store.list_conversations()}
    now = datetime.now(UTC)
    for sim, sid, age in ((sims[0], old_sid, 100), (sims[1], new_sid, 10)):
        url = fake_twilio.add_recording(sid, AUDIO)
        params = callback(sim.call_sid, url, RecordingSid=sid)
        from voice_agent.recordings import from_callback

        made = from_callback(params, conversations[sim.call_sid].id)
        assert made is not None
        await store.record_recording(replace(made, created_at=now - timedelta(days=age)))

    twilio = TwilioRecordings(FAKE_ACCOUNT_SID, TOKEN, base_url=fake_twilio.base_url)
    try:
        keep_all = recorded(settings, fake_twilio, recording_retention_days=0)
        assert await purge_expired(store, twilio, keep_all, now) == 0
        ninety = recorded(settings, fake_twilio, recording_retention_days=90)
        assert await purge_expired(store, twilio, ninety, now) == 1
        assert await purge_expired(store, twilio, ninety, now) == 0  # nothing left to do
    finally:
        await twilio.aclose()
    assert fake_twilio.deleted == [old_sid] and new_sid in fake_twilio.recordings
    old = await store.get_recording(old_sid)
    assert old is not None and old.status == "deleted" and old.media_url == ""


async def test_retention_keeps_the_row_when_twilio_is_unreachable(
    settings: Settings, store: SqlStore
) -> None:
    async with serving(recorded(settings), store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
        await sim.start()
    [conversation] = await store.list_conversations()
    from voice_agent.recordings import from_callback

    made = from_callback(callback(sim.call_sid, "https://api.twilio.com/x"), conversation.id)
    assert made is not None
    await store.record_recording(replace(made, created_at=datetime.now(UTC) - timedelta(days=400)))
    twilio = TwilioRecordings(FAKE_ACCOUNT_SID, TOKEN, base_url="http://127.0.0.1:9")
    try:
        assert await purge_expired(store, twilio, recorded(settings), datetime.now(UTC)) == 0
    finally:
        await twilio.aclose()
    kept = await store.get_recording(RECORDING)
    assert kept is not None and kept.status == "completed"  # retried on the next sweep


async def test_server_sweep_uses_the_retention_saved_on_the_setup_page(
    settings: Settings, store: SqlStore, fake_twilio: FakeTwilioServer
) -> None:
    import asyncio

    from voice_agent.recording_purge import start_recording_purge
    from voice_agent.recordings import from_callback
    from voice_agent.settings_source import SettingsSource

    configured = recorded(settings, fake_twilio)  # RECORDING_RETENTION_DAYS: 90 by default
    async with serving(configured, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
        await sim.start()
    [conversation] = await store.list_conversations()
    made = from_callback(
        callback(sim.call_sid, fake_twilio.add_recording(RECORDING, AUDIO)), conversation.id
    )
    assert made is not None
    await store.record_recording(replace(made, created_at=datetime.now(UTC) - timedelta(days=5)))
    await store.set_setting("recording_retention_days", "3")  # saved on the Setup page

    purge = start_recording_purge(SettingsSource(configured, store), store, run=True)
    try:
        for _ in range(100):
            if fake_twilio.deleted:
                break
            await asyncio.sleep(0.05)
    finally:
        await purge.aclose()
    assert fake_twilio.deleted == [RECORDING]

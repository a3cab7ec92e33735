"""Unbooked calls on the dashboard: flagged with the reason, filtered, counted."""

from __future__ import annotations

import httpx

from voice_agent.settings import Settings
from voice_agent.storage import SqlStore
from voice_agent.storage.base import NewConversation


async def _call(store: SqlStore, n: int, outcome: str | None, status: str = "completed") -> str:
    new = NewConversation(channel="voice", external_id=f"CA{n}", caller=f"+1312555{n:04d}")
    conversation, _ = await store.create_conversation(new)
    await store.update_conversation(conversation.id, outcome=outcome, status=status)
    return conversation.id


async def test_calls_list_flags_and_filters_unbooked_calls(
    admin: httpx.AsyncClient, store: SqlStore
) -> None:
    booked = await _call(store, 1, "booked")
    outside = await _call(store, 2, "out_of_area")
    full = await _call(store, 3, "no_capacity")
    live = await _call(store, 4, None, status="active")

    everything = (await admin.get("/")).text
    assert "unbooked: address outside the service area" in everything
    assert "unbooked: no free arrival window" in everything
    assert everything.count("unbooked:") == 2  # neither the booking nor the live call
    assert '<option value="unbooked"' in everything

    unbooked = (await admin.get("/?outcome=unbooked")).text
    assert f"/calls/{outside}" in unbooked and f"/calls/{full}" in unbooked
    assert f"/calls/{booked}" not in unbooked and f"/calls/{live}" not in unbooked
    assert "2 conversations" in unbooked


async def test_numbers_page_counts_unbooked_calls_by_reason(
    admin: httpx.AsyncClient, store: SqlStore
) -> None:
    await _call(store, 1, "booked")
    await _call(store, 2, "out_of_area")
    await _call(store, 3, "out_of_area")
    await _call(store, 4, "abandoned")
    page = (await admin.get("/stats?period=7")).text
    assert '<b id="n-unbooked"><a href="/?outcome=unbooked">3</a></b>' in page
    assert "2 · address outside the service area" in page
    assert "1 · caller hung up before anything was settled" in page


async def test_setup_page_sets_recording_retention(
    admin: httpx.AsyncClient, store: SqlStore, web_settings: Settings
) -> None:
    from voice_agent.overrides import effective_settings

    from .conftest import csrf_of

    page = await admin.get("/setup")
    assert 'name="recording_retention_days"' in page.text
    token = csrf_of(page.text)
    bad = await admin.post(
        "/setup/profile", data={"csrf_token": token, "recording_retention_days": "-3"}
    )
    assert bad.status_code == 400 and "recording_retention_days" in bad.text
    good = await admin.post(
        "/setup/profile", data={"csrf_token": token, "recording_retention_days": "30"}
    )
    assert good.status_code == 303
    assert (await effective_settings(web_settings, store)).recording_retention_days == 30

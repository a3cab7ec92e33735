"""The conversation page marks a Spanish conversation and its Spanish turns."""

from __future__ import annotations

import httpx

from voice_agent.storage.base import NewConversation, NewTurn

from .fakes import FakeServices


async def _conversation(services: FakeServices, sid: str, language: str) -> str:
    store = services.store
    conversation, _ = await store.create_conversation(
        NewConversation(channel="voice", external_id=sid, caller="+15551230077")
    )
    await store.add_turn(conversation.id, 0, "agent", "Hi there, thanks for calling.")
    await store.add_turn(conversation.id, 1, "caller", "Hola, necesito una cita")
    saved = await store.finish_turn(
        conversation.id,
        NewTurn(1, "agent", "¿Me da su nombre y apellido?", {"mode": "llm", "language": language}),
        {"language": language},
        expected_version=conversation.version,
        fields={"language": language},
    )
    assert saved is not None
    return conversation.id


async def test_spanish_conversation_has_badge_and_turn_markers(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    conversation_id = await _conversation(services, "CA-es-page", "es")
    page = (await admin.get(f"/calls/{conversation_id}")).text
    assert 'id="language"' in page and ">Spanish</span>" in page
    assert page.count('class="lang-marker') == 2  # the caller's turn 1 and the answer
    assert '<span class="text" lang="es">¿Me da su nombre y apellido?</span>' in page
    greeting = page.index("Hi there, thanks for calling.")
    assert "lang-marker" not in page[page.rindex("<li", 0, greeting) : greeting]
    live = (await admin.get(f"/calls/{conversation_id}/live")).text
    assert 'id="language"' in live


async def test_english_conversation_has_no_language_marks(
    admin: httpx.AsyncClient, services: FakeServices
) -> None:
    conversation_id = await _conversation(services, "CA-en-page", "en")
    page = (await admin.get(f"/calls/{conversation_id}")).text
    assert 'id="language"' not in page and "lang-marker" not in page

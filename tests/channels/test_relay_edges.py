"""ConversationRelay edges: the signed upgrade, Spanish, the LLM outage, test mode, the TwiML."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from voice_agent.channels import twiml
from voice_agent.storage import SqlStore
from voice_agent.testing import FakeOpenAIServer, Reply

from .conftest import STAFF
from .relay_helpers import relay_world

pytestmark = pytest.mark.usefixtures("settings")

PUBLIC_WSS = "wss://voice.example.test/twilio/relay"
NEW_CALLER = "+12125550142"


async def _refused(call: object, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await call.open(**kwargs)  # type: ignore[attr-defined]
    return refused.value.response.status_code


async def test_upgrade_without_a_valid_signature_is_refused_and_stores_nothing(
    tmp_path: Path, store: SqlStore
) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        call.relay = {"url": PUBLIC_WSS}
        assert await _refused(call, signature="") == 403  # missing
        assert await _refused(call, signature="bm90IGEgc2lnbmF0dXJl") == 403  # wrong
        internal = call.local_ws_url(PUBLIC_WSS)  # what the app sees behind the proxy
        assert await _refused(call, signature=call.signature(internal)) == 403
        assert await store.list_conversations() == []  # refused: nothing stored
        await call.open()  # signed over the public wss:// URL: accepted, then set up
        reply = await call.say("My AC is blowing warm air.")
        assert reply.text
        await call.close()
    [conversation] = await store.list_conversations()  # a call we had not answered first
    assert conversation.external_id == call.call_sid


async def test_spanish_switches_recognition_and_voice_with_a_language_message(
    tmp_path: Path, store: SqlStore
) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        relay = await call.answer()
        assert "For Spanish" in relay["welcomeGreeting"]
        await call.open()
        reply = await call.press("2")  # key 2 at the greeting chooses Spanish
        kinds = [m["type"] for m in reply.messages]
        assert reply.languages == [
            {"type": "language", "ttsLanguage": "es-US", "transcriptionLanguage": "es-US"}
        ]
        assert kinds.index("language") < kinds.index("text")  # switched before speaking
        assert "español" in reply.text
        rescued = await call.session_over("failed", error="64105")
        assert rescued.gather is not None and rescued.gather["language"] == "es-US"
    [conversation] = await store.list_conversations()
    assert conversation.language == "es"


async def test_llm_outage_falls_back_to_guided_intake_over_relay(
    tmp_path: Path, store: SqlStore
) -> None:
    down = FakeOpenAIServer(responder=lambda body: Reply.error(503))
    async with relay_world(tmp_path, store, model=down) as world:
        call = world.call(NEW_CALLER)
        await call.answer()
        await call.open()
        asked = await call.say("my furnace is making a loud banging noise")
        assert "name" in asked.text
        asked_address = await call.say("Jane Doe")
        assert "address" in asked_address.text
    [conversation] = await store.list_conversations()
    assert conversation.state["mode"] == "guided" and conversation.state["fallback_reason"]


async def test_test_mode_call_is_announced_and_marked(tmp_path: Path, store: SqlStore) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call(STAFF)
        relay = await call.answer()
        assert "test" in relay["welcomeGreeting"].lower()
        await call.open()
        await call.say("My AC is blowing warm air.")
    [conversation] = await store.list_conversations()
    assert conversation.test_mode


def test_relay_twiml_is_built_with_the_sdk() -> None:
    english = twiml.RelayVoice("en-US", "Google", "en-US-Chirp3-HD-Aoede", "Deepgram")
    spanish = twiml.RelayVoice("es-US", "Google", "es-US-Chirp3-HD-Aoede", "Deepgram")
    xml = twiml.relay(
        url=PUBLIC_WSS,
        action="/twilio/voice/relay-done",
        greeting="Hi & welcome",
        voice=english,
        others=(spanish,),
        hints="furnace, water heater",
    )
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Connect action=')
    assert 'welcomeGreeting="Hi &amp; welcome"' in xml
    assert 'dtmfDetection="true"' in xml and 'interruptible="any"' in xml
    assert '<Language code="es-US"' in xml and 'hints="furnace, water heater"' in xml


def test_relay_voice_names_have_no_say_prefix(tmp_path: Path) -> None:
    from voice_agent.errors import ConfigError
    from voice_agent.settings import load_settings

    with pytest.raises(ConfigError, match="RELAY_VOICE"):
        load_settings(data_dir=tmp_path, relay_voice="Polly.Joanna-Neural")
    assert load_settings(data_dir=tmp_path).voice_transport == "gather"  # the default


async def test_a_failing_turn_apologises_and_the_call_goes_on(
    tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voice_agent.engine.dialogue import DialogueEngine

    original = DialogueEngine._turn

    def broken(self: DialogueEngine, turn: object, text: str) -> object:
        if "explode" in text:
            raise RuntimeError("engine exploded")
        return original(self, turn, text)  # type: ignore[arg-type]

    monkeypatch.setattr(DialogueEngine, "_turn", broken)
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        sorry = await call.say("please explode")
        assert "something went wrong on my end" in sorry.text and sorry.end is None
        goes_on = await call.say("My AC is blowing warm air.")
        assert goes_on.text and "something went wrong" not in goes_on.text


async def test_a_session_that_breaks_on_our_side_is_closed_and_rescued(
    tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from websockets.exceptions import ConnectionClosedError

    from voice_agent.channels.relay import RelaySocket

    async def broken_setup(self: RelaySocket, message: dict[str, object]) -> None:
        raise RuntimeError("storage is down")

    monkeypatch.setattr(RelaySocket, "_setup", broken_setup)
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        with pytest.raises(ConnectionClosedError) as closed:
            await call.receive()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
        rescued = await call.session_over("failed", error="64105")
        assert rescued.gather is not None and rescued.text.startswith("Sorry, we got cut off")
        assert "How can I help" in rescued.text  # the greeting, from storage


@pytest.mark.parametrize(
    ("base", "socket"),
    [
        ("https://voice.example.test", PUBLIC_WSS),
        ("https://voice.example.test/agent/", "wss://voice.example.test/agent/twilio/relay"),
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/twilio/relay"),
    ],
)
def test_the_socket_url_in_the_twiml_is_the_one_the_upgrade_is_checked_against(
    base: str, socket: str
) -> None:
    from starlette.websockets import WebSocket

    from voice_agent.channels.relay import public_ws_url, relay_url
    from voice_agent.settings import Settings

    assert relay_url(base) == socket
    path = socket.split("://", 1)[1].partition("/")[2]
    scope = {"type": "websocket", "path": "/" + path.removeprefix("agent/"), "headers": []}
    scope |= {"query_string": b"", "server": ("10.0.0.5", 8080), "scheme": "ws"}
    opened = WebSocket(scope, receive=None, send=None)  # type: ignore[arg-type]
    assert public_ws_url(opened, Settings(public_base_url=base)) == socket  # type: ignore[call-arg]
    assert public_ws_url(opened, Settings(public_base_url=None)).startswith("ws://10.0.0.5:8080/")  # type: ignore[call-arg]

"""Every TwiML document the voice channel answers with, built with the `twilio` SDK.

Speech recognition choice: `speech_timeout="auto"` (end of speech at the caller's first
natural pause, the shortest silence Twilio offers) with no explicit `speech_model`, because
Twilio rejects `auto` together with a model (warning 13335) and the generic default model
fails over between recognition providers. Set `SPEECH_MODEL` to trade that for a named
model with a whole-second timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from twilio.twiml.voice_response import Connect, Gather, VoiceResponse

SPEECH_MODEL: str | None = None  # e.g. "experimental_conversations" (then a numeric timeout)
SPEECH_TIMEOUT_WITH_MODEL = 1
START_TIMEOUT_SECONDS = 6  # how long Gather waits for the caller to start talking
DIAL_TIMEOUT_SECONDS = 20
DIAL_RECORDING = "record-from-answer-dual"  # when CALL_RECORDING is on: both legs, from answer
RECORDING_EVENTS = "completed absent"  # recording status callbacks wanted (final ones)
MAX_HINTS = 100
MAX_HINT_CHARS = 100
RELAY_INTERRUPTIBLE = "any"  # speech or keys cut our speech off (Twilio reports what was heard)


@dataclass(frozen=True)
class VoiceStyle:
    """How the agent sounds and listens: `<Say>` voice, language and recognition hints."""

    voice: str
    language: str
    hints: tuple[str, ...] = ()

    @property
    def hints_text(self) -> str | None:
        """Comma-separated hints within Twilio's limits, or None."""
        return _hints_text(self.hints)


@lru_cache(maxsize=16)
def _hints_text(hints: tuple[str, ...]) -> str | None:
    """(The same few hint lists come back every turn.)"""
    cleaned = [h.replace(",", " ").strip()[:MAX_HINT_CHARS] for h in hints]
    unique = list(dict.fromkeys(h for h in cleaned if h))[:MAX_HINTS]
    return ", ".join(unique) or None


def _say(node: VoiceResponse | Gather, text: str, style: VoiceStyle) -> None:
    if text:
        node.say(text, voice=style.voice, language=style.language)


def _gather(response: VoiceResponse, action: str, style: VoiceStyle) -> Gather:
    options: dict[str, object] = {
        "input": "speech dtmf",
        "action": action,
        "method": "POST",
        "timeout": START_TIMEOUT_SECONDS,
        "num_digits": 1,
        "language": style.language,
        "hints": style.hints_text,
        "action_on_empty_result": True,
    }
    if SPEECH_MODEL:
        options.update(speech_model=SPEECH_MODEL, speech_timeout=SPEECH_TIMEOUT_WITH_MODEL)
    else:
        options["speech_timeout"] = "auto"
    gather: Gather = response.gather(**options)
    return gather


def ask(
    text: str,
    *,
    action: str,
    style: VoiceStyle,
    before: str = "",
    also: tuple[tuple[str, VoiceStyle], ...] = (),
    record_callback: str | None = None,
) -> str:
    """Say `text` inside a speech-and-keypad `<Gather>` that posts to `action`.

    With `record_callback` (the greeting, when CALL_RECORDING is on) the whole call is
    recorded from here on, both parties on their own channel, reported to that URL.

    `before` is spoken first, outside the Gather, so the caller cannot cut it off (used for
    safety instructions and test-mode notices). `also` are further lines inside the Gather,
    each in its own voice (the Spanish offer in the English greeting). A `<Redirect>` to
    `action` follows the Gather as a safety net; with `actionOnEmptyResult` Twilio never
    reaches it.
    """
    response = VoiceResponse()
    if record_callback:
        response.start().recording(
            recording_status_callback=record_callback,
            recording_status_callback_method="POST",
            recording_status_callback_event=RECORDING_EVENTS,
            channels="dual",
            track="both",
        )
    _say(response, before, style)
    gather = _gather(response, action, style)
    _say(gather, text, style)
    for line, voice in also:
        _say(gather, line, voice)
    response.redirect(action, method="POST")
    return str(response)


def hold(text: str, *, redirect: str, style: VoiceStyle) -> str:
    """A short filler line, then fetch `redirect` (where the real answer waits)."""
    response = VoiceResponse()
    _say(response, text, style)
    response.redirect(redirect, method="POST")
    return str(response)


def transfer(
    text: str,
    *,
    number: str,
    caller_id: str | None,
    action: str,
    style: VoiceStyle,
    record: bool = False,
    recording_callback: str | None = None,
) -> str:
    """Say `text`, then `<Dial>` `number`; Twilio posts the outcome to `action`.

    With `record` (CALL_RECORDING on) the bridged call is recorded, both legs, from answer,
    and reported to `recording_callback` (so it is linked to the call and deleted with it).
    """
    response = VoiceResponse()
    _say(response, text, style)
    dial = response.dial(
        action=action,
        method="POST",
        timeout=DIAL_TIMEOUT_SECONDS,
        caller_id=caller_id,
        answer_on_bridge=True,
        record=DIAL_RECORDING if record else None,
        recording_status_callback=recording_callback if record else None,
        recording_status_callback_event=RECORDING_EVENTS if record and recording_callback else None,
    )
    dial.number(number)
    return str(response)


def goodbye(text: str, *, style: VoiceStyle) -> str:
    """Say `text` and hang up."""
    response = VoiceResponse()
    _say(response, text, style)
    response.pause(length=1)
    response.hangup()
    return str(response)


def empty() -> str:
    """An empty `<Response/>` (for callbacks that need no instructions)."""
    return str(VoiceResponse())


@dataclass(frozen=True)
class RelayVoice:
    """One ConversationRelay language: its code, TTS provider and voice (no `Polly.` prefix)."""

    language: str
    tts_provider: str
    voice: str
    transcription_provider: str


def relay(
    *,
    url: str,
    action: str,
    greeting: str,
    voice: RelayVoice,
    others: tuple[RelayVoice, ...] = (),
    hints: str | None = None,
    parameters: dict[str, str] | None = None,
) -> str:
    """`<Connect action><ConversationRelay url …>`: stream the call over a WebSocket.

    `greeting` is spoken by Twilio as soon as the socket is up; DTMF is reported; speech and
    keys interrupt. `others` are further languages a `language` message may switch to.
    `parameters` reach the socket in `setup.customParameters`.
    """
    response = VoiceResponse()
    connect = Connect(action=action, method="POST")
    node = connect.conversation_relay(
        url=url,
        welcome_greeting=greeting or None,
        language=voice.language,
        tts_provider=voice.tts_provider,
        voice=voice.voice,
        transcription_provider=voice.transcription_provider,
        interruptible=RELAY_INTERRUPTIBLE,
        welcome_greeting_interruptible=RELAY_INTERRUPTIBLE,
        dtmf_detection=True,
        hints=hints,
    )
    for other in others:
        node.language(
            code=other.language,
            tts_provider=other.tts_provider,
            voice=other.voice,
            transcription_provider=other.transcription_provider,
        )
    for name, value in (parameters or {}).items():
        node.parameter(name=name, value=value)
    response.append(connect)
    return str(response)


def connect_again(text: str, *, style: VoiceStyle) -> str:
    """Say `text` outside any relay (e.g. before `<Dial>` or a rescue)."""
    response = VoiceResponse()
    _say(response, text, style)
    return str(response)

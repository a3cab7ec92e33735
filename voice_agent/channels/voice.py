"""Phone calls over Twilio `<Gather>` webhooks: greeting, turns, fillers and continuations.

Routes (all signed, see `twilio_auth`):
    POST /twilio/voice            incoming call: conversation, caller lookup, greeting
    POST /twilio/voice/turn       Gather action: one caller utterance (speech or keys)
    POST /twilio/voice/continue   where a filler's `<Redirect>` fetches the real answer
Transfers, messages and the status callback live in `voice_calls`; the HTTP wrappers in
`routes`.

Every Gather action URL carries the turn number (`seq`), signed with the rest of the URL,
so a duplicate or replayed delivery maps onto the same turn key and runs nothing twice.
Nothing about a call lives in process memory between requests: any worker serves any one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException

from hcp import HcpClient
from voice_agent import phones
from voice_agent.carddata import mask_card_data
from voice_agent.channels import twiml
from voice_agent.channels.twilio_auth import TwilioParams
from voice_agent.channels.twiml import VoiceStyle
from voice_agent.channels.voice_hints import asks_yes_no
from voice_agent.channels.voice_turns import (
    TurnOutcome,
    TurnRunner,
    VoiceEngine,
    note_engine_wait,
)
from voice_agent.engine import prompts
from voice_agent.engine.i18n import t, t_all
from voice_agent.operations import can_call_back
from voice_agent.outbox import Outbox, SendSms
from voice_agent.settings import Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.speech import FILLERS, LOW_CONFIDENCE, REPROMPTS, STILL_WORKING, for_speech, pick
from voice_agent.storage.base import Conversation, NewConversation, Store

log = logging.getLogger(__name__)

VOICE_PATH = "/twilio/voice"
TURN_PATH = "/twilio/voice/turn"
CONTINUE_PATH = "/twilio/voice/continue"
DIAL_PATH = "/twilio/voice/dial"
MESSAGE_PATH = "/twilio/voice/message"
STATUS_PATH = "/twilio/voice/status"
FALLBACK_PATH = "/twilio/voice/fallback"

RENDER_MARGIN_SECONDS = 0.25
"""Kept back from the silence budget for what the handler cannot see: the webhook in flight
from Twilio, a busy moment before the handler runs (up to 150 ms at 500 calls on one worker,
`bench/calls.py`), rendering the answer and its way back."""
MAX_CONTINUE_HOPS = 6  # filler + redirect rounds before the honest fallback line
MAX_SPEECH_CHARS = 1000
MIN_CONFIDENCE = 0.3  # below this (and above 0, which means "not reported") re-prompt
MISSES_BEFORE_OFFER = 2
MAX_CACHED_CALLS = 10_000
MAX_SEQ = 500
UNKNOWN_CALLER = phones.UNKNOWN

Found = str | Conversation | None
"""What starting a turn found: TwiML that ends it, the conversation, or no such call."""

CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
KEYS = {"1": "yes", "2": "no", "0": "I'd like to talk to a person"}  # keypad meanings
SPANISH_KEY = "2"  # at the greeting, before any answer: the caller chooses Spanish
SPANISH_CHOICE = "español"  # what the engine hears when they do
SPANISH_OFFER = "For Spanish, say 'español' or press 2."
SPANISH_HINTS = ("español", "en español", "sí", "no")
_TEXT_ME = re.compile(r"\b(text|message|sms)\b", re.IGNORECASE)

TEST_MODE_NOTICE = "This is a test call, so nothing will be booked or changed for real."
GREETING_FALLBACK = "Thanks for calling {business}.{disclosure} How can I help you today?"
ENGINE_TROUBLE = "I'm sorry, something went wrong on my end. Could you tell me that once more?"
TOO_SLOW = (
    "I'm sorry, that's taking longer than it should. I've noted what you asked, and if I "
    "can't sort it out, someone from the office will call you back. What else can I help with?"
)
TOO_SLOW_NO_CALLBACK = (
    "I'm sorry, that's taking longer than it should. I've noted what you asked, and if I "
    "can't sort it out, the office will see it first thing. What else can I help with?"
)
OFFER_TEXT_OR_PERSON = (
    "I'm having trouble hearing you. Press 1 and I'll text you so we can carry on by "
    "message{person}."
)
OFFER_PERSON = ", or press 0 to talk to someone"
CONNECTING = "Connecting you now, one moment."
CANT_HEAR_GOODBYE = (
    "I'll send you a text so we can pick this up there. Thanks for calling, goodbye."
)
CANT_HEAR_NO_TEXT = (
    "I'm sorry, I can't hear you on this line. Please call us back. Thanks for calling, goodbye."
)
CANT_HEAR_SMS = (
    "Hi, this is {business}. Sorry, we had trouble hearing you on the phone just now. "
    "Reply to this text and we'll help you here, or call us back anytime."
)
CALL_OVER = "Thanks for calling. Goodbye."
LOST_CALL = "Sorry, I lost track of our call for a moment."
DTMF_HINT = " You can also press 1 for yes, or 2 for no."


def lang_query(lang: str) -> dict[str, str]:
    """The `lang` query parameter for non-English calls (English URLs stay as they were)."""
    return {"lang": lang} if lang != "en" else {}


def url(path: str, **query: int | str) -> str:
    """A relative URL with a query string; Twilio resolves it against the public URL it called."""
    return f"{path}?{urlencode(query)}" if query else path


def call_sid_of(params: TwilioParams) -> str:
    """The request's CallSid, or 400."""
    sid = params.get("CallSid", "")
    if not CALL_SID.match(sid):
        raise HTTPException(status_code=400, detail="missing or malformed CallSid")
    return sid


def bounded_speech(raw: str) -> str:
    """The caller's words with white space folded, cut at a word to `MAX_SPEECH_CHARS`."""
    speech = " ".join(raw.split())
    if len(speech) > MAX_SPEECH_CHARS:
        speech = speech[:MAX_SPEECH_CHARS].rsplit(" ", 1)[0]
    return speech


def heard_text(params: TwilioParams) -> tuple[str, float | None]:
    """What the caller said or pressed, bounded and with card data masked, and the confidence."""
    digits = params.get("Digits", "").strip()
    if digits:
        keyed = KEYS.get(digits, " ".join(ch for ch in digits if ch.isdigit()))
        return mask_card_data(keyed).text, None
    speech = bounded_speech(params.get("SpeechResult", ""))
    try:
        confidence: float | None = float(params.get("Confidence", ""))
    except ValueError:
        confidence = None
    return mask_card_data(speech).text, confidence


class VoiceChannel:
    """The voice call flow; the HTTP routes are thin wrappers around its methods."""

    def __init__(
        self,
        settings: Settings | SettingsSource,
        store: Store,
        engine: VoiceEngine,
        *,
        hints: tuple[str, ...] = (),
        hcp: HcpClient | None = None,
        test_engine: VoiceEngine | None = None,
        test_hcp: HcpClient | None = None,
        closers: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self.source = settings if isinstance(settings, SettingsSource) else SettingsSource(settings)
        self.store = store
        self.engine = engine
        self.hcp = hcp
        self.test_engine = test_engine or engine
        self.test_hcp = test_hcp or hcp
        self._closers = tuple(closers)
        self.runner = TurnRunner(engine, store)
        self.test_runner = self.runner if test_engine is None else TurnRunner(test_engine, store)
        self.hints = hints
        self._background: set[asyncio.Future[Any]] = set()
        self._calls: OrderedDict[str, Conversation] = OrderedDict()
        # Turns whose start (finding the call in storage) outlasted the silence budget.
        self._starting: OrderedDict[str, asyncio.Future[Found]] = OrderedDict()
        # ConversationRelay: turns still landing after their socket closed, by CallSid.
        self.relays: dict[str, asyncio.Future[None]] = {}
        self.relay_reports: list[Any] | None = None  # per-turn timings, when a bench asks

    @property
    def settings(self) -> Settings:
        """The settings in force now (the Setup page may change them at run time)."""
        return self.source.current()

    @property
    def style(self) -> VoiceStyle:
        """The English voice."""
        hints = self.hints
        if self.settings.spanish_enabled:
            hints = (*hints, SPANISH_HINTS[0])
        return VoiceStyle(self.settings.voice_name, self.settings.voice_language, hints)

    def style_for(self, lang: str) -> VoiceStyle:
        """The voice and recogniser of the caller's language."""
        if lang != "es":
            return self.style
        settings = self.settings
        return VoiceStyle(
            settings.voice_name_es,
            settings.voice_language_es,
            (settings.business_name, *SPANISH_HINTS),
        )

    @property
    def budget(self) -> float:
        """Longest silence before the caller hears a filler (`FILLER_AFTER_SECONDS`)."""
        return self.settings.filler_after_seconds

    def runner_for(self, conversation: Conversation) -> TurnRunner:
        """Test-mode calls run on the test engine (the sandbox), others on the real one."""
        return self.test_runner if conversation.test_mode else self.runner

    def hcp_for(self, conversation: Conversation) -> HcpClient | None:
        """The HCP client behind the conversation's engine (the sandbox in test mode)."""
        return self.test_hcp if conversation.test_mode else self.hcp

    async def aclose(self) -> None:
        """Stop background work (shutdown)."""
        await self.runner.aclose()
        await self.test_runner.aclose()
        pending = [*self._background, *self.relays.values()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for close in self._closers:
            await close()

    # --- incoming call -------------------------------------------------------------------

    def wait_left(self, received: float | None) -> float:
        """How long this request may still wait on the engine within the silence budget."""
        spent = 0.0 if received is None else time.monotonic() - received
        margin = min(RENDER_MARGIN_SECONDS, self.budget / 4)
        return max(0.0, self.budget - spent - margin)

    async def incoming(
        self, params: TwilioParams, received: float | None = None, *, base_url: str = ""
    ) -> str:
        """Answer a new call: create the conversation, look the caller up, greet, listen.

        With `VOICE_TRANSPORT=relay` the answer connects the call to ConversationRelay at
        `base_url` (the public URL Twilio called), which speaks the greeting.
        """
        sid = call_sid_of(params)
        caller = phones.e164_or_unknown(params.get("From"), self.settings.phone_region)
        to = phones.e164_or_unknown(params.get("To"), self.settings.phone_region)
        test_mode = bool({caller, to} & set(self.settings.test_numbers))
        new = NewConversation(
            channel="voice",
            external_id=sid,
            caller=caller,
            business_number=None if to == UNKNOWN_CALLER else to,
            test_mode=test_mode,
        )
        log.info("voice call %s from %s (test mode: %s)", sid, phones.mask(caller), test_mode)
        engine = self.test_engine if test_mode else self.engine
        start = asyncio.ensure_future(engine.start(new))
        notice = ""
        waited = time.monotonic()
        try:
            started = await asyncio.wait_for(asyncio.shield(start), self.wait_left(received))
        except TimeoutError:
            started = None
        note_engine_wait(time.monotonic() - waited)
        if started is not None:
            greeting = started.greeting
            if started.conversation.status != "active":  # a late duplicate of a finished call
                return twiml.goodbye(CALL_OVER, style=self.style)
            self._remember(started.conversation)
        else:  # the start (which creates the conversation first) carries on in the background
            log.warning("voice call %s: greeting without caller lookup (slow start)", sid)
            self._keep(start)
            disclosure = prompts.disclosure(self.settings)
            greeting = GREETING_FALLBACK.format(
                business=self.settings.business_name,
                disclosure=" " + disclosure if disclosure else "",
            )
            notice = TEST_MODE_NOTICE if test_mode else ""
        if self.settings.voice_transport == "relay":
            return self._relay_answer(for_speech(greeting), notice, base_url)
        also: tuple[tuple[str, VoiceStyle], ...] = ()
        if self.settings.spanish_enabled:
            also = ((t(SPANISH_OFFER, "es"), self.style_for("es")),)
        return twiml.ask(
            for_speech(greeting),
            action=url(TURN_PATH, seq=1),
            style=self.style,
            before=notice,
            also=also,
            record_callback=self.recording_callback(),
        )

    def _relay_answer(self, greeting: str, notice: str, base_url: str) -> str:
        """`<Connect><ConversationRelay>` with the greeting, voices and hints of this business."""
        from voice_agent.channels.relay import RELAY_DONE_PATH, relay_url

        settings = self.settings
        base = str(settings.public_base_url or base_url)

        def voice(lang: str, name: str) -> twiml.RelayVoice:
            return twiml.RelayVoice(
                lang, settings.relay_tts_provider, name, settings.relay_transcription_provider
            )

        others: tuple[twiml.RelayVoice, ...] = ()
        if settings.spanish_enabled:
            greeting += " " + SPANISH_OFFER
            others = (voice(settings.voice_language_es, settings.relay_voice_es),)
        return twiml.relay(
            url=relay_url(base),
            action=RELAY_DONE_PATH,
            greeting=" ".join(filter(None, (notice, greeting))),
            voice=voice(settings.voice_language, settings.relay_voice),
            others=others,
            hints=self.style.hints_text,
        )

    # --- turns ---------------------------------------------------------------------------

    async def turn(
        self,
        params: TwilioParams,
        seq: int,
        miss: int,
        received: float | None = None,
        lang: str = "en",
    ) -> str:
        """One Gather result: re-prompt on silence, else run the engine turn (or fill in).

        `lang` is the caller's language so far (signed in the action URL); pressing 2 at the
        greeting chooses Spanish. Even finding the call in storage is bounded by the silence
        budget: when it is slow the caller hears a filler and the continuation picks it up.
        """
        sid = call_sid_of(params)
        key = f"{sid}:{seq}"
        begun = asyncio.ensure_future(self._begin_turn(params, sid, seq, miss, lang))
        try:
            found = await asyncio.wait_for(asyncio.shield(begun), self.wait_left(received))
        except TimeoutError:
            log.warning("voice turn %s: storage is slow; filler while the turn starts", key)
            self._pending(key, begun)
            return self._filler(key, seq, lang)
        if found is None or isinstance(found, str):
            return found or self._lost_call()
        outcome = await self.runner_for(found).outcome(found.id, key, self.wait_left(received))
        if outcome is None:
            return self._filler(key, seq, lang)
        return await self.render(found, params, outcome, seq, lang)

    async def _begin_turn(
        self, params: TwilioParams, sid: str, seq: int, miss: int, lang: str
    ) -> Found:
        """Everything before the engine for one turn.

        The TwiML when the turn ends here (re-prompt, offer, goodbye), else the conversation
        whose engine turn was just submitted.
        """
        conversation = await self.find_call(sid)
        if conversation is None:
            return self._lost_call()
        if conversation.status != "active":
            return twiml.goodbye(t(CALL_OVER, lang), style=self.style_for(lang))
        text, confidence = heard_text(params)
        if self._chooses_spanish(params, seq, lang):
            text, confidence = SPANISH_CHOICE, None
        low = confidence is not None and 0 < confidence < MIN_CONFIDENCE
        if miss >= MISSES_BEFORE_OFFER and (digits := params.get("Digits", "").strip()):
            if digits in ("1", "0"):
                return await self._take_offer(
                    conversation, wants_text=digits == "1", seq=seq, lang=lang
                )
        if miss >= MISSES_BEFORE_OFFER and text and not low:
            if _TEXT_ME.search(text) and len(text.split()) <= 6:
                return await self._take_offer(conversation, wants_text=True, seq=seq, lang=lang)
        if not text or low:
            return await self._missed(conversation, seq, miss, low=bool(text), lang=lang)
        meta = {"call_sid": sid, "seq": str(seq)}
        self.runner_for(conversation).submit(conversation.id, f"{sid}:{seq}", text, meta)
        return conversation

    def _filler(self, key: str, seq: int, lang: str) -> str:
        """A short filler, then fetch the answer of turn `seq` (first continuation)."""
        return twiml.hold(
            pick(t_all(FILLERS, lang), key),
            redirect=url(CONTINUE_PATH, seq=seq, hop=1, **lang_query(lang)),
            style=self.style_for(lang),
        )

    def _pending(self, key: str, work: asyncio.Future[Found]) -> None:
        """Keep a turn's slow start for its continuation (bounded, oldest dropped)."""
        self._keep(work)
        self._starting[key] = work
        while len(self._starting) > MAX_CACHED_CALLS:
            self._starting.popitem(last=False)

    def _chooses_spanish(self, params: TwilioParams, seq: int, lang: str) -> bool:
        """Key 2 pressed at the greeting (turn 1, English so far) with Spanish offered."""
        return (
            seq == 1
            and lang == "en"
            and self.settings.spanish_enabled
            and params.get("Digits", "").strip() == SPANISH_KEY
        )

    async def resume(
        self,
        params: TwilioParams,
        seq: int,
        hop: int,
        received: float | None = None,
        lang: str = "en",
    ) -> str:
        """A filler's continuation: the real answer if ready, else another short filler."""
        sid = call_sid_of(params)
        key = f"{sid}:{seq}"
        found_later = self._starting.pop(key, None)  # the turn's own slow start, if here
        finding: asyncio.Future[Found] = found_later or asyncio.ensure_future(self.find_call(sid))
        try:
            found = await asyncio.wait_for(asyncio.shield(finding), self.wait_left(received))
        except TimeoutError:
            self._pending(key, finding)
            return self._still_working(key, seq, hop, lang)
        if isinstance(found, str):  # the turn ended before the engine (e.g. a re-prompt)
            return found
        if found is None:
            return self._lost_call()
        if found.status != "active":
            return twiml.goodbye(t(CALL_OVER, lang), style=self.style_for(lang))
        outcome = await self.runner_for(found).outcome(found.id, key, self.wait_left(received))
        if outcome is not None:
            return await self.render(found, params, outcome, seq, lang)
        return self._still_working(key, seq, hop, lang)

    def _still_working(self, key: str, seq: int, hop: int, lang: str) -> str:
        """Another short filler, or after `MAX_CONTINUE_HOPS` the honest fallback line."""
        style = self.style_for(lang)
        if hop < MAX_CONTINUE_HOPS:
            return twiml.hold(
                pick(t_all(STILL_WORKING, lang), f"{key}:{hop}"),
                redirect=url(CONTINUE_PATH, seq=seq, hop=hop + 1, **lang_query(lang)),
                style=style,
            )
        log.error("voice turn %s not ready after %d fillers; fallback line", key, hop)
        line = TOO_SLOW if can_call_back(self.settings) else TOO_SLOW_NO_CALLBACK
        return twiml.ask(
            t(line, lang), action=url(TURN_PATH, seq=seq + 1, **lang_query(lang)), style=style
        )

    async def render(
        self,
        conversation: Conversation,
        params: TwilioParams,
        outcome: TurnOutcome,
        seq: int,
        lang: str = "en",
    ) -> str:
        """The TwiML for a finished turn: answer and listen, transfer, or say goodbye.

        The turn's own language (it may have just switched) picks the voice from here on.
        """
        lang = outcome.language or lang
        style = self.style_for(lang)
        next_turn = url(TURN_PATH, seq=seq + 1, **lang_query(lang))
        if outcome.failed:
            return twiml.ask(t(ENGINE_TROUBLE, lang), action=next_turn, style=style)
        text = for_speech(outcome.text)
        if outcome.transfer_to:
            return twiml.transfer(
                text or t(CONNECTING, lang),
                number=outcome.transfer_to,
                caller_id=self.caller_id(params),
                action=url(DIAL_PATH, seq=seq, **lang_query(lang)),
                style=style,
                record=self.settings.call_recording,
                recording_callback=self.recording_callback(),
            )
        if outcome.end_reason is not None:
            return twiml.goodbye(text or t(CALL_OVER, lang), style=style)
        if not text:
            text = pick(t_all(REPROMPTS, lang), f"{conversation.id}:{seq}:empty")
        elif asks_yes_no(text, lang):
            text += t(DTMF_HINT, lang)
        return twiml.ask(text, action=next_turn, style=style)

    # --- helpers -------------------------------------------------------------------------

    def recording_callback(self) -> str | None:
        """Where Twilio reports recordings (voice_agent.recordings); None when not recording."""
        if not self.settings.call_recording:
            return None
        from voice_agent.recordings import callback_url

        return callback_url(self.settings)

    async def find_call(self, sid: str) -> Conversation | None:
        """The call's conversation: from this worker's cache of active calls, else storage.

        Only fields that never change (id, caller, test mode) are read from a cached
        record (the relay also reads the state the greeting saved: nothing else writes a
        call's state before its first turn); a call that ended is dropped by `forget`.
        """
        cached = self._calls.get(sid)
        if cached is not None:
            self._calls.move_to_end(sid)
            return cached
        conversation = await self.store.find_conversation("voice", sid)
        if conversation is None:
            log.warning("voice request for unknown call %s", sid)
        elif conversation.status == "active":
            self._remember(conversation)
        return conversation

    def _remember(self, conversation: Conversation) -> None:
        self._calls[conversation.external_id] = conversation
        self._calls.move_to_end(conversation.external_id)
        while len(self._calls) > MAX_CACHED_CALLS:
            self._calls.popitem(last=False)

    def forget(self, sid: str) -> None:
        """Drop a finished call from the cache of active calls."""
        self._calls.pop(sid, None)

    def _lost_call(self) -> str:
        # Signed by Twilio but unknown here (e.g. the database was reset): start over cleanly.
        return twiml.hold(LOST_CALL, redirect=VOICE_PATH, style=self.style)

    def caller_id(self, params: TwilioParams) -> str | None:
        """The number a transfer shows the person dialled: ours, else the one called."""
        to = phones.e164_or_unknown(params.get("To"), self.settings.phone_region)
        return self.settings.twilio_phone_number or (None if to == UNKNOWN_CALLER else to)

    def human_number(self) -> str | None:
        """Where a caller who asks for a person is sent (office first, then on-call)."""
        return self.settings.office_number or self.settings.on_call_number

    async def _missed(
        self, conversation: Conversation, seq: int, miss: int, *, low: bool, lang: str = "en"
    ) -> str:
        """Nothing (or nothing clear) heard: re-prompt differently, then offer a way out."""
        key = f"{conversation.external_id}:{seq}:{miss}"
        action = url(TURN_PATH, seq=seq, miss=miss + 1, **lang_query(lang))
        style = self.style_for(lang)
        if miss < MISSES_BEFORE_OFFER:
            line = pick(LOW_CONFIDENCE, key) if low else REPROMPTS[miss % len(REPROMPTS)]
            return twiml.ask(t(line, lang), action=action, style=style)
        if miss == MISSES_BEFORE_OFFER:
            person = t(OFFER_PERSON, lang) if self.human_number() else ""
            return twiml.ask(
                t(OFFER_TEXT_OR_PERSON, lang, person=person), action=action, style=style
            )
        return await self._take_offer(conversation, wants_text=True, seq=seq, lang=lang)

    async def _take_offer(
        self, conversation: Conversation, *, wants_text: bool, seq: int, lang: str = "en"
    ) -> str:
        number = self.human_number()
        style = self.style_for(lang)
        if not wants_text and number:
            return twiml.transfer(
                t(CONNECTING, lang),
                number=number,
                caller_id=self.settings.twilio_phone_number or conversation.business_number,
                action=url(DIAL_PATH, seq=seq, **lang_query(lang)),
                style=style,
                record=self.settings.call_recording,
                recording_callback=self.recording_callback(),
            )
        if conversation.caller == UNKNOWN_CALLER:
            return twiml.goodbye(t(CANT_HEAR_NO_TEXT, lang), style=style)
        await Outbox(self.store).put(
            SendSms(
                to=conversation.caller,
                body=t(CANT_HEAR_SMS, lang, business=self.settings.business_name),
                conversation_id=conversation.id,
                purpose="voice_cant_hear",
            ),
            idempotency_key=f"voice:{conversation.external_id}:cant-hear",
        )
        return twiml.goodbye(t(CANT_HEAR_GOODBYE, lang), style=style)

    def _keep(self, future: asyncio.Future[Any]) -> None:
        self._background.add(future)
        future.add_done_callback(self._background.discard)

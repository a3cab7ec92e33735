"""The HTTP routes of the voice channel: thin wrappers that verify, parse and render TwiML."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from voice_agent.channels import relay, twiml, voice_fallback
from voice_agent.channels.twilio_auth import TwilioForm, public_url, received_at
from voice_agent.channels.voice import (
    CONTINUE_PATH,
    DIAL_PATH,
    FALLBACK_PATH,
    MAX_CONTINUE_HOPS,
    MAX_SEQ,
    MESSAGE_PATH,
    STATUS_PATH,
    TURN_PATH,
    VOICE_PATH,
)
from voice_agent.channels.voice_calls import call_ended, dial_finished, message_left
from voice_agent.deps import MaybeStoreDep, MessagingDep, SettingsDep, VoiceDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["twilio voice"])
router.include_router(relay.router)  # ConversationRelay: WS /twilio/relay and its action

Seq = Annotated[int, Query(ge=1, le=MAX_SEQ)]
Miss = Annotated[int, Query(ge=0, le=10)]
Hop = Annotated[int, Query(ge=1, le=MAX_CONTINUE_HOPS)]
Lang = Annotated[Literal["en", "es"], Query()]


def xml(body: str) -> Response:
    """A TwiML HTTP response."""
    return Response(content=body, media_type="application/xml")


@router.post(VOICE_PATH)
async def incoming_call(request: Request, params: TwilioForm, voice: VoiceDep) -> Response:
    """The number's Voice URL: answer the call."""
    base = public_url(request, voice.settings).split(VOICE_PATH, 1)[0]
    return xml(await voice.incoming(params, received_at(request), base_url=base))


@router.post(TURN_PATH)
async def gather_turn(
    request: Request,
    params: TwilioForm,
    voice: VoiceDep,
    seq: Seq,
    miss: Miss = 0,
    lang: Lang = "en",
) -> Response:
    """The Gather action: one caller utterance (`lang`: the caller's language so far)."""
    return xml(await voice.turn(params, seq, miss, received_at(request), lang))


@router.post(CONTINUE_PATH)
async def continue_turn(
    request: Request, params: TwilioForm, voice: VoiceDep, seq: Seq, hop: Hop, lang: Lang = "en"
) -> Response:
    """Where a filler's `<Redirect>` lands: the answer of turn `seq`."""
    return xml(await voice.resume(params, seq, hop, received_at(request), lang))


@router.post(DIAL_PATH)
async def dial_action(params: TwilioForm, voice: VoiceDep, seq: Seq, lang: Lang = "en") -> Response:
    """`<Dial action>`: the outcome of a transfer."""
    return xml(await dial_finished(voice, params, seq, lang))


@router.post(MESSAGE_PATH)
async def message_action(
    params: TwilioForm, voice: VoiceDep, seq: Seq, lang: Lang = "en"
) -> Response:
    """The caller's message after an unanswered transfer."""
    return xml(await message_left(voice, params, seq, lang))


@router.post(STATUS_PATH)
async def status_callback(params: TwilioForm, voice: VoiceDep, messaging: MessagingDep) -> Response:
    """The number's call-status callback: record the end, queue the summary and the SMS."""
    if await call_ended(voice, params):
        messaging.kick()  # the follow-up job runs soon, off this request
    return xml(twiml.empty())


@router.post(FALLBACK_PATH)
async def fallback(params: TwilioForm, settings: SettingsDep, store: MaybeStoreDep) -> Response:
    """The number's Fallback URL: apologise and record a message (needs no database or HCP)."""
    voice_fallback.log_fallback(params)
    await voice_fallback.keep(settings, store, [voice_fallback.alert_item(params)])
    return xml(voice_fallback.fallback_twiml(settings))


@router.post(voice_fallback.FALLBACK_MESSAGE_PATH)
async def fallback_message(
    params: TwilioForm, settings: SettingsDep, store: MaybeStoreDep
) -> Response:
    """The recorded message: queue the lead and the office alert (or spool them), goodbye."""
    items = voice_fallback.message_items(settings, params)
    where = await voice_fallback.keep(settings, store, items)
    log.info("fallback voicemail for call %s %s", params.get("CallSid", "?"), where)
    return xml(voice_fallback.thanks_twiml(settings))

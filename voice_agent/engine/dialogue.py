"""The dialogue engine: one transport-independent loop from caller text to events.

`start` opens (or re-opens) a conversation and greets the caller; `respond` runs one turn:
deterministic exits first (emergency, "a person please"), the server-side yes/no gate, then the
model with tools, bounded in rounds and time. All state is loaded from and saved to the store,
so any worker can serve any turn; a repeated `turn_key` replays the stored reply.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import hcp
from voice_agent import phones
from voice_agent.carddata import mask_card_data
from voice_agent.engine import barge_in, intents, language, prompts
from voice_agent.engine.events import (
    EndConversation,
    Event,
    FallbackTaken,
    LanguageIs,
    TextDelta,
    ToolFinished,
    ToolStarted,
    Transfer,
)
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.engine.i18n import t, translate
from voice_agent.engine.messages import ChatMessage, ChatModel, ChatModelError, Completion, ToolCall
from voice_agent.engine.policy import tools_for
from voice_agent.engine.session import Replay, Session
from voice_agent.engine.toolbox import Toolbox, ToolContext, ToolOutcome
from voice_agent.errors import AgentError
from voice_agent.operations import Operations, ReferenceCache, can_call_back
from voice_agent.operations.journal import utcnow as wall_clock
from voice_agent.operations.messages import send_pay_link
from voice_agent.outcomes import derive as derive_outcome
from voice_agent.settings import Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.storage.base import (
    Conversation,
    NewConversation,
    NewTurn,
    Store,
)

log = logging.getLogger(__name__)

LINE_TOO_SLOW = "Sorry, our system is slow right now. I can take a message and the office will call you back. What would you like me to pass on?"  # noqa: E501
LINE_TOO_MANY_STEPS = "Sorry, I couldn't finish that. I can take a message for the office instead. What would you like me to pass on?"  # noqa: E501
LINE_TOO_LONG = "We've covered a lot, so I'll have the office follow up with you directly. Thanks for calling, goodbye."  # noqa: E501
LINE_ENDED = "This call has ended. Please call back any time. Goodbye."
LINE_EMPTY = "Sorry, could you say that again?"
LINE_CONNECT_ON_CALL = "I'm connecting you to our on-call technician now."
LINE_TOO_SLOW_NO_CALLBACK = "Sorry, our system is slow right now. I can take a message, and the office will see it first thing. What would you like me to pass on?"  # noqa: E501
LINE_NO_ON_CALL = "I've noted this as an emergency, and the office will see your message first thing. If anyone is in danger, hang up and call 9 1 1."  # noqa: E501
LINE_CONNECT_OFFICE = "Sure, I'll connect you with the office now."
LINE_OFFICE_CLOSED = "Our office is closed right now, but I can take a message and someone will call you back. What would you like me to pass on?"  # noqa: E501
LINE_NO_OFFICE = "I can't put you through to someone right now, but I can take a message and someone will call you back. What would you like me to pass on?"  # noqa: E501
LINE_NO_OFFICE_NO_CALLBACK = "I can't put you through to someone right now, but I can take a message, and the office will see it first thing. What would you like me to pass on?"  # noqa: E501
LINE_CARD_PAY_LINK = "For your security I can't take card details over the phone, so I didn't keep them. I've texted a secure payment link to this number instead. Is there anything else I can help with?"  # noqa: E501
LINE_CARD_CALLBACK = "For your security I can't take card details over the phone, so I didn't keep them. The office will call you back to take payment securely. Is there anything else I can help with?"  # noqa: E501
LINE_CARD_OFFICE_SEES = "For your security I can't take card details over the phone, so I didn't keep them. The office will see your message first thing and arrange a secure payment. Is there anything else I can help with?"  # noqa: E501
LINE_SPANISH = "Of course, we can continue in Spanish. How can I help you today?"
LINE_ENGLISH = "Of course, we can continue in English. How can I help you today?"


TokenHook = Callable[[str], Awaitable[None]]
"""Receives the model's text tokens as they stream in (ConversationRelay)."""

TURN_POLL_SECONDS = 0.05
"""How often a turn waiting for the previous one re-checks the conversation's lease."""

MODEL_GRACE_SECONDS = 0.25
"""The engine's own deadline on a model call, beyond the timeout the model was given."""


class ConversationNotFoundError(AgentError):
    """`respond` was called for a conversation id the store does not know."""


@dataclass(frozen=True)
class EngineLimits:
    """Bounds on every turn and conversation."""

    max_tool_rounds: int = 8
    turn_seconds: float = 12.0
    max_turns: int = 60
    lookup_seconds: float = 1.5
    hcp_call_timeout: float = 4.0
    busy_wait_seconds: float = 3.0  # longest Retry-After waited out once in a turn (HCP 429)
    turn_lease_margin: float = 5.0  # a turn's lease outlives its time bound by this much

    @property
    def turn_lease_seconds(self) -> float:
        """How long a turn owns its conversation before another turn may take over."""
        return self.turn_seconds + self.turn_lease_margin


@dataclass(frozen=True)
class StartResult:
    """The opened conversation and the greeting to say."""

    conversation: Conversation
    greeting: str
    created: bool


def callback_number(caller: str, region: str = phones.DEFAULT_REGION) -> str:
    """The caller's number as the office dials it, or a note that there is none."""
    return phones.display(caller, region) or "a caller with no caller ID"


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


@dataclass
class _Lease:
    """A conversation's turn lease, held by one turn until its final save lets it go."""

    name: str
    owner: str
    held: bool = True

    def handed(self) -> tuple[str, str] | None:
        """(name, owner) for the store to let go with the turn's save; None once let go."""
        return (self.name, self.owner) if self.held else None


@dataclass
class _Turn:
    conversation: Conversation
    session: Session
    seq: int
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    texts: list[str] = field(default_factory=list)
    control: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False
    started: float = field(default_factory=time.perf_counter)
    model_seconds: float = 0.0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_name: str = ""
    card_data: bool = False  # the caller's words held card data (already masked)
    on_token: TokenHook | None = None
    partial: str = ""  # tokens of the current model answer already streamed to the caller
    caller_saved: asyncio.Future[bool] | None = None  # the caller's words being recorded
    lease: _Lease | None = None  # the conversation's turn lease, let go with the final save

    async def recorded(self) -> None:
        """Wait until the caller's words are stored (before any side effect or the reply)."""
        if self.caller_saved is not None:
            await asyncio.shield(self.caller_saved)

    def meta(self, settings: Settings) -> dict[str, Any]:
        """What the dashboard shows per turn: mode, latency, model time, tokens and cost."""
        cost = (
            self.prompt_tokens * settings.llm_input_usd_per_mtok
            + self.completion_tokens * settings.llm_output_usd_per_mtok
        ) / 1_000_000
        return {
            "mode": self.session.mode,
            "language": self.session.language,
            "latency_ms": round((time.perf_counter() - self.started) * 1000, 1),
            "model_ms": round(self.model_seconds * 1000, 1),
            "llm_calls": self.llm_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "model": self.model_name,
            "cost_usd": round(cost, 6),
        }


class DialogueEngine:
    """Runs conversations over a `ChatModel`, the tools and the store.

    Args:
        store: Conversation state, turns, tool calls, writes and outbox.
        hcp_client: The HCP client (real or sandbox).
        model: The dialogue policy (OpenAI or guided intake).
        settings: Business profile and timeouts, or the `SettingsSource` they are read from
            at each use (the running app's, so a saved profile applies at once).
        tools: The tools the model may call (the app passes `voice_agent.tools`' registry).
        fallback: Policy used when `model` fails (default: guided intake).
        limits: Round, time and length bounds.
        clock: The clock (aware UTC).
    """

    def __init__(
        self,
        *,
        store: Store,
        hcp_client: hcp.HcpClient,
        model: ChatModel,
        settings: Settings | SettingsSource,
        tools: Toolbox,
        fallback: ChatModel | None = None,
        limits: EngineLimits | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.hcp = hcp_client
        self.model = model
        self.source = settings if isinstance(settings, SettingsSource) else SettingsSource(settings)
        self.tools = tools
        self.fallback = fallback or GuidedIntakeModel()
        self.limits = limits or EngineLimits()
        self.clock = clock
        self.cache = ReferenceCache()
        self.model_seconds = 0.0  # time spent waiting on models, for benchmarks

    @property
    def settings(self) -> Settings:
        """The settings in force now (read from the source at each use)."""
        return self.source.current()

    # -- start -------------------------------------------------------------------------------

    async def start(self, new: NewConversation) -> StartResult:
        """Create or get the conversation, look the caller up (bounded) and greet."""
        conversation, created = await self.store.create_conversation(new)
        session = Session.load(conversation.state)
        if session.greeting is not None:
            return StartResult(conversation, session.greeting, created)
        session.caller = new.caller
        if self.model is self.fallback:
            session.mode = "guided"
        await self._lookup_caller(session)
        greeting = prompts.greeting(
            self.settings, first_name=session.first_name, test_mode=conversation.test_mode
        )
        session.greeting = greeting
        session.history.append(ChatMessage(role="assistant", content=greeting).to_dict())
        state = session.dump()
        customer_id = session.matched_customer_id or conversation.hcp_customer_id
        fields = {"hcp_customer_id": customer_id} if customer_id else {}
        version = await self.store.finish_turn(  # greeting turn, state and fields: one write
            conversation.id,
            NewTurn(0, "agent", greeting),
            state,
            expected_version=conversation.version,
            fields=fields,
        )
        if version is None:  # a duplicate start greeted first: say what it said
            fresh = await self.store.get_conversation(conversation.id)
            assert fresh is not None
            stored = Session.load(fresh.state).greeting
            return StartResult(fresh, stored or greeting, created)
        saved = replace(conversation, state=state, version=version, hcp_customer_id=customer_id)
        return StartResult(saved, greeting, created)

    async def _lookup_caller(self, session: Session) -> None:
        """Match the caller ID to exactly one customer, within the lookup deadline."""
        try:
            async with asyncio.timeout(self.limits.lookup_seconds):
                matches = await self.hcp.customers.find_by_phone(session.caller)
        except (TimeoutError, hcp.HcpError, ValueError) as exc:
            log.info("caller lookup skipped: %s", type(exc).__name__)
            return
        session.lookup_done = True
        if len(matches) == 1:
            session.matched_customer_id = matches[0].id
            session.first_name = matches[0].first_name

    # -- respond -----------------------------------------------------------------------------

    async def _load(self, conversation_id: str, known: Conversation | None) -> Conversation:
        """The stored conversation (`known` when a channel already holds it)."""
        if known is not None and known.id == conversation_id:
            return known
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None:
            raise ConversationNotFoundError(conversation_id)
        return conversation

    async def respond(
        self,
        conversation_id: str,
        user_text: str,
        *,
        turn_key: str | None = None,
        on_token: TokenHook | None = None,
        known: Conversation | None = None,
        on_saved: Callable[[Conversation], None] | None = None,
    ) -> AsyncIterator[Event]:
        """Run one caller turn and yield its events; see the module docstring.

        With `on_token`, a streaming model's text goes to it token by token as it arrives
        (its `TextDelta` then says `streamed`). A turn cancelled or closed early (barge-in)
        is saved with what had been said so far; see `heard`. `known` is the conversation as
        stored right now, kept by a channel that is its only writer (it saves a read; the
        save is still checked against its version); `on_saved` receives it as saved.
        """
        owner = uuid.uuid4().hex
        async with self._turn_lease(conversation_id, owner) as lease:
            conversation = await self._load(conversation_id, known)
            session = Session.load(conversation.state)
            if turn_key is not None and turn_key in session.replays:  # a repeated delivery
                for event in _replay(session.replays[turn_key]):
                    yield event
                if session.language != "en":
                    yield LanguageIs(session.language)
                return
            turn = _Turn(
                conversation, session, session.seq + 1, owner, on_token=on_token, lease=lease
            )
            # Closed here, in the closing task and under the lease: a turn stopped part-way
            # is saved before `aclose()` returns, not later by the loop's finalizer.
            async with aclosing(self._respond(turn, user_text, turn_key, on_saved)) as run:
                async for event in run:
                    yield event

    @asynccontextmanager
    async def _turn_lease(self, conversation_id: str, owner: str) -> AsyncIterator[_Lease]:
        """Own the conversation for one turn, waiting (bounded by the lease) for the last one.

        Turns of one conversation run one at a time (a lease in storage, so across workers
        too): a turn that arrives while the previous one still runs waits for it and then
        answers from the state it left, so no utterance is dropped or read out of context;
        a turn that lost its lease writes nothing to HCP (see `_context`).
        """
        name = f"turn:{conversation_id}"
        span = timedelta(seconds=self.limits.turn_lease_seconds)
        give_up = time.monotonic() + self.limits.turn_lease_seconds + 1.0
        while not await self.store.acquire_lease(
            name, owner, now=wall_clock(), until=wall_clock() + span
        ):
            if time.monotonic() > give_up:  # cannot happen unless clocks disagree wildly
                log.error("conversation %s: previous turn never let go", conversation_id)
                break
            await asyncio.sleep(TURN_POLL_SECONDS)
        lease = _Lease(name, owner)
        try:
            yield lease
        finally:
            if lease.held:  # not let go by the turn's final save (see `_save`)
                await asyncio.shield(self.store.release_lease(name, owner))

    async def _respond(
        self,
        turn: _Turn,
        user_text: str,
        turn_key: str | None,
        on_saved: Callable[[Conversation], None] | None,
    ) -> AsyncGenerator[Event]:
        conversation, session = turn.conversation, turn.session
        spoken_before = session.language
        session.seq += 1
        scan = mask_card_data(user_text)  # channels mask too; this covers every other entry
        user_text, turn.card_data = scan.text, scan.found
        # Recorded while the model starts; awaited before any tool runs and before the reply.
        turn.caller_saved = asyncio.ensure_future(
            self.store.add_turn(conversation.id, turn.seq, "caller", user_text)
        )
        try:
            async for event in self._turn(turn, user_text):
                yield event
        except (asyncio.CancelledError, GeneratorExit):
            cut = await asyncio.shield(self._save_cut_short(conversation, turn))
            if cut is not None and on_saved is not None:
                on_saved(cut)
            raise
        reply = " ".join(x.strip() for x in turn.texts if x.strip()) or t(
            LINE_EMPTY, session.language
        )
        if not turn.texts:
            yield TextDelta(reply)
        if turn_key is not None:
            session.remember_reply(turn_key, Replay(reply=reply, control=turn.control))
        agent_turn = NewTurn(turn.seq, "agent", reply, turn.meta(self.settings))
        await turn.recorded()
        saved = await self._save(conversation, session, agent_turn, turn.lease)
        if saved is not None and on_saved is not None:
            on_saved(saved)
        if session.language != "en" or spoken_before != "en":
            yield LanguageIs(session.language)

    async def _save_cut_short(self, conversation: Conversation, turn: _Turn) -> Conversation | None:
        """Save a turn stopped part-way: what was said so far becomes its reply."""
        session = turn.session
        _close_open_tool_calls(session)
        partial = turn.partial.strip()
        if partial:
            session.history.append(ChatMessage(role="assistant", content=partial).to_dict())
            turn.texts.append(partial)
        said = " ".join(x.strip() for x in turn.texts if x.strip())
        meta = {**turn.meta(self.settings), "cut_short": True}
        await turn.recorded()
        agent_turn = NewTurn(turn.seq, "agent", said, meta)
        return await self._save(conversation, session, agent_turn, turn.lease)

    async def heard(
        self,
        conversation_id: str,
        heard: str,
        *,
        known: Conversation | None = None,
        on_saved: Callable[[Conversation], None] | None = None,
    ) -> bool:
        """The caller cut the last reply off after hearing only `heard` (barge-in).

        The reply in the model's history and in the transcript is cut to `heard`, a note
        tells the next turn what happened, and a read-back the caller did not hear to the
        end is no longer open to a "yes". False when there was nothing to cut. `known` and
        `on_saved` as for `respond`.
        """
        conversation = await self._load(conversation_id, known)
        session = Session.load(conversation.state)
        cut = barge_in.cut_to_heard(session, heard)
        if cut is None:
            return False
        state = session.dump()
        version = await self.store.save_state(
            conversation.id, state, expected_version=conversation.version
        )
        await self.store.update_turn(conversation.id, session.seq, "agent", text=cut)
        if on_saved is not None:
            on_saved(replace(conversation, state=state, version=version))
        log.info("conversation %s: reply cut off by the caller (v%d)", conversation.id, version)
        return True

    async def _save(
        self,
        conversation: Conversation,
        session: Session,
        agent_turn: NewTurn,
        lease: _Lease | None = None,
    ) -> Conversation | None:
        """Record the agent turn, save the state, update the conversation and let the turn's
        `lease` go: one transaction.

        The conversation as now stored, or None when another write came first.
        """
        fields: dict[str, Any] = {}
        if session.outcome and session.outcome != conversation.outcome:
            fields["outcome"] = session.outcome
        if session.language != conversation.language:
            fields["language"] = session.language
        if session.customer_id and session.customer_id != conversation.hcp_customer_id:
            fields["hcp_customer_id"] = session.customer_id
        if session.ended and conversation.status == "active":
            fields["status"] = "completed"
            fields["ended_at"] = self.clock()
        state = session.dump()
        if session.ended and conversation.status == "active" and not session.outcome:
            fields["outcome"] = derive_outcome(  # every ended conversation gets one
                outcome=None,
                status="completed",
                state=state,
                tool_calls=await self.store.list_tool_calls(conversation.id),
                booked=bool(session.booked_job_ids),
                caller_turns=agent_turn.seq,
            )
        saved = await self.store.finish_turn(
            conversation.id,
            agent_turn,
            state,
            expected_version=conversation.version,
            fields=fields,
            release=lease.handed() if lease is not None else None,
        )
        if lease is not None:
            lease.held = False
        if saved is None:
            log.warning(
                "conversation %s changed during the turn; keeping the other write", conversation.id
            )
            return None
        return replace(conversation, state=state, version=saved, **fields)

    async def _turn(self, turn: _Turn, text: str) -> AsyncIterator[Event]:
        fixed = self._fixed_path(turn, text)
        if fixed is None:  # the model starts while the caller's words are being recorded
            async for event in self._model_loop(turn, text):
                yield event
            return
        await turn.recorded()  # a fixed path may have side effects: record first
        async for event in fixed:
            yield event

    def _fixed_path(self, turn: _Turn, text: str) -> AsyncIterator[Event] | None:
        """The rule-based answer this turn gets before any model, or None for the model."""
        session = turn.session
        if session.ended:
            return self._lines(turn, LINE_ENDED)
        if turn.seq > self.limits.max_turns:
            return self._lines(turn, LINE_TOO_LONG, end="conversation too long")
        if self._choose_language(session, text):
            return self._language_switched(turn, text)
        self._gate_confirmation(session, text, turn.seq)
        emergency = intents.detect_emergency(text)
        if emergency is not None:
            return self._emergency(turn, emergency)
        if turn.card_data:
            return self._card_data(turn, text)
        if intents.wants_human(text) and not session.awaiting_message:
            return self._to_person(turn)
        return None

    async def _lines(
        self, turn: _Turn, line: str, *, end: str | None = None
    ) -> AsyncIterator[Event]:
        yield self._line(turn, line)
        if end is not None:
            yield self._end(turn, end)

    async def _language_switched(self, turn: _Turn, text: str) -> AsyncIterator[Event]:
        session = turn.session
        yield self._line(turn, LINE_SPANISH if session.language == "es" else LINE_ENGLISH)
        session.history.append(ChatMessage(role="user", content=text).to_dict())
        session.history.append(ChatMessage(role="assistant", content=turn.texts[-1]).to_dict())

    def _choose_language(self, session: Session, text: str) -> bool:
        """Switch the caller's language on clear evidence (`SPANISH_ENABLED` only).

        True when the utterance did nothing but choose a language, so the turn just
        acknowledges it instead of running the model.
        """
        if not self.settings.spanish_enabled:
            return False
        switch = language.detect_switch(text, session.language)
        if switch is not None:
            log.info("conversation language: %s", switch)
            session.language = switch
        if not language.only_language_request(text):
            return False
        return switch is not None or session.language == (
            "es" if language.asks_for_spanish(text) else "en"
        )

    def _gate_confirmation(self, session: Session, text: str, seq: int) -> None:
        """Record a clear yes to the action proposed in the previous turn (server-side)."""
        pending = session.pending
        if pending is None:
            return
        answer = intents.classify_yes_no(text)
        if answer == "yes" and pending.proposed_seq == seq - 1:
            session.confirmed_id, session.confirmed_seq = pending.id, seq
        elif answer == "no":
            session.pending = None

    async def _card_data(self, turn: _Turn, text: str) -> AsyncIterator[Event]:
        """Card details were said: never read back or passed on; steer to the pay link."""
        conversation, settings = turn.conversation, self.settings
        log.warning("security: card data masked in conversation %s", conversation.id)
        has_number = conversation.caller.startswith("+")  # "unknown" without caller ID
        callback = can_call_back(settings) and has_number
        line = LINE_CARD_CALLBACK if callback else LINE_CARD_OFFICE_SEES
        if settings.pay_url is not None and has_number:
            await send_pay_link(self._context(turn).operations, to=conversation.caller)
            line = LINE_CARD_PAY_LINK
        yield self._line(turn, line)
        turn.session.history.append(ChatMessage(role="user", content=text).to_dict())
        turn.session.history.append(ChatMessage(role="assistant", content=turn.texts[-1]).to_dict())

    async def _emergency(self, turn: _Turn, emergency: intents.Emergency) -> AsyncIterator[Event]:
        yield self._line(turn, emergency.instruction)
        number = self.settings.on_call_number or self.settings.office_number
        ctx = self._context(turn)
        who = callback_number(turn.conversation.caller, self.settings.phone_region)
        await ctx.notify_office(
            f"Emergency call ({emergency.kind}) from {who}.", key=f"emergency:{turn.seq}"
        )
        turn.session.outcome = "emergency"
        if number:
            yield self._line(turn, LINE_CONNECT_ON_CALL)
            yield self._transfer(turn, number, f"emergency:{emergency.kind}")
        else:
            yield self._line(turn, LINE_NO_ON_CALL)

    async def _to_person(self, turn: _Turn) -> AsyncIterator[Event]:
        now = self.clock().astimezone(self.settings.zone)
        hours = self.settings.opening_hours
        if self.settings.office_number and hours.is_open(now.weekday(), now.time()):
            turn.session.outcome = "transferred"
            yield self._line(turn, LINE_CONNECT_OFFICE)
            yield self._transfer(turn, self.settings.office_number, "caller asked for a person")
            return
        turn.session.awaiting_message = True
        if self.settings.office_number:
            yield self._line(turn, LINE_OFFICE_CLOSED)
        else:  # promise a call-back only when someone can be told (issue 19)
            callback = can_call_back(self.settings)
            yield self._line(turn, LINE_NO_OFFICE if callback else LINE_NO_OFFICE_NO_CALLBACK)

    # -- the model loop ------------------------------------------------------------------------

    async def _model_loop(self, turn: _Turn, text: str) -> AsyncIterator[Event]:
        session = turn.session
        deadline = time.monotonic() + self.limits.turn_seconds
        session.history.append(ChatMessage(role="user", content=text).to_dict())
        for _ in range(self.limits.max_tool_rounds):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                yield self._line(turn, too_slow_line(self.settings))
                session.awaiting_message = True
                return
            completion: Completion | None = None
            fallback_event: FallbackTaken | None = None
            try:
                completion = await self._complete(turn, remaining)
            except ChatModelError as exc:
                if turn.partial.strip():  # the caller heard the start of a broken answer
                    turn.texts.append(turn.partial.strip())
                turn.partial = ""
                if session.mode == "guided":
                    log.exception("guided intake failed")
                    yield self._line(turn, LINE_TOO_MANY_STEPS)
                    session.awaiting_message = True
                    return
                fallback_event = await self._take_fallback(turn, str(exc))
            if fallback_event is not None:
                yield fallback_event
                continue
            assert completion is not None
            session.history.append(completion.as_message().to_dict())
            streamed, turn.partial = bool(turn.partial), ""  # now part of the history
            if completion.content and completion.content.strip():
                spoken = completion.content.strip()
                if completion.model == "guided":  # guided intake speaks English lines
                    spoken = translate(spoken, session.language)
                yield self._say(turn, spoken, streamed=streamed)
            if not completion.tool_calls:
                return
            await turn.recorded()
            async for event in self._run_tools(turn, completion.tool_calls, deadline):
                yield event
            if turn.control or turn.stopped:
                return
        yield self._line(turn, LINE_TOO_MANY_STEPS)
        session.awaiting_message = True

    async def _complete(self, turn: _Turn, remaining: float) -> Completion:
        session = turn.session
        model = self.fallback if session.mode == "guided" else self.model
        system = prompts.system_prompt(
            self.settings,
            "sms" if turn.conversation.channel == "sms" else "voice",
            now=self.clock().astimezone(self.settings.zone),
            language=session.language,
        )
        messages = [ChatMessage(role="system", content=system)]
        messages += [ChatMessage.from_dict(m) for m in session.history]
        schemas = self.tools.schemas(tools_for(session))
        timeout = min(self.settings.openai_timeout, remaining)
        streaming: dict[str, Any] = {}
        if turn.on_token is not None and getattr(model, "streams_text", False):
            streaming["on_text"] = _TokenSink(turn, turn.on_token)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout + MODEL_GRACE_SECONDS):
                if isinstance(model, GuidedIntakeModel):  # a policy over the session itself
                    now = self.clock()
                    completion = await model.step(
                        session, self.settings, messages, schemas, now=now
                    )
                else:
                    completion = await model.complete(
                        messages, schemas, timeout=timeout, **streaming
                    )
        except TimeoutError:
            raise ChatModelError(f"model gave no answer within {timeout:g}s") from None
        finally:
            spent = time.perf_counter() - started
            self.model_seconds += spent
            turn.model_seconds += spent
        if completion.model != "guided":
            turn.llm_calls += 1
            turn.prompt_tokens += completion.usage.prompt_tokens
            turn.completion_tokens += completion.usage.completion_tokens
            turn.model_name = completion.model or turn.model_name
        return completion

    async def _take_fallback(self, turn: _Turn, reason: str) -> FallbackTaken:
        """Switch this conversation to guided intake for good, and record why."""
        log.warning("model failed, switching to guided intake: %s", reason)
        turn.session.mode = "guided"
        turn.session.fallback_reason = reason
        await self.store.add_turn(
            turn.conversation.id, turn.seq, "system", f"fallback to guided intake: {reason}"
        )
        _close_open_tool_calls(turn.session)
        return FallbackTaken(reason)

    async def _run_tools(
        self, turn: _Turn, calls: tuple[ToolCall, ...], deadline: float
    ) -> AsyncIterator[Event]:
        ctx = self._context(turn)
        allowed = set(tools_for(turn.session))
        for call in calls:
            yield ToolStarted(call.name, _loose_arguments(call.arguments))
        remaining = max(deadline - time.monotonic(), 0.001)
        one_at_a_time = asyncio.Lock()  # side-effecting calls of this turn, in the model's order
        runs = [self._run_one(ctx, call, allowed, one_at_a_time) for call in calls]
        try:
            async with asyncio.timeout(remaining):
                outcomes = await asyncio.gather(*runs)
        except TimeoutError:
            outcomes = [
                ToolOutcome(c.name, {}, None, "That took too long.", remaining * 1000)
                for c in calls
            ]
            turn.session.awaiting_message = True
            turn.stopped = True
            line = too_slow_line(self.settings)
            ctx.control.append({"type": "say", "text": t(line, turn.session.language)})
        for call, outcome in zip(calls, outcomes, strict=True):
            turn.session.history.append(
                ChatMessage(
                    role="tool", content=outcome.for_model(), tool_call_id=call.id
                ).to_dict()
            )
            await self.store.add_tool_call(
                turn.conversation.id,
                turn.seq,
                outcome.name,
                outcome.arguments,
                outcome.result,
                outcome.error,
                outcome.duration_ms,
            )
            yield ToolFinished(outcome.name, outcome.result, outcome.error, outcome.duration_ms)
        for item in ctx.control:
            if item["type"] == "say" or not turn.texts:
                yield self._say(turn, translate(item["text"], turn.session.language))
            if item["type"] == "transfer":
                yield self._transfer(turn, item["number"], item["reason"])
            elif item["type"] == "end":
                yield self._end(turn, item["reason"])

    async def _run_one(
        self, ctx: ToolContext, call: ToolCall, allowed: set[str], writes: asyncio.Lock
    ) -> ToolOutcome:
        tool = self.tools.get(call.name)
        if tool is None or call.name not in allowed:
            error = (
                f"There is no tool called {call.name}."
                if tool is None
                else f"{call.name} is not available right now."
            )
            return ToolOutcome(call.name, _loose_arguments(call.arguments), None, error, 0.0)
        if tool.writes:
            async with writes:
                return await tool.run(ctx, call.arguments)
        return await tool.run(ctx, call.arguments)

    def _context(self, turn: _Turn) -> ToolContext:
        client = self.hcp.with_options(timeout=self.limits.hcp_call_timeout, max_retries=1)
        name = f"turn:{turn.conversation.id}"

        async def still_current() -> bool:  # fencing: a turn that lost its lease writes nothing
            return await self.store.lease_owner(name, now=wall_clock()) == turn.owner

        ops = Operations.build(
            hcp_client=client,
            store=self.store,
            settings=self.settings,
            conversation_id=turn.conversation.id,
            caller=turn.session.caller,
            cache=self.cache,
            now=self.clock,
            owner=turn.owner,
            still_current=still_current,
            busy_wait=self.limits.busy_wait_seconds,
        )
        return ToolContext(
            hcp=client,
            store=self.store,
            settings=self.settings,
            session=turn.session,
            conversation=turn.conversation,
            now=self.clock,
            cache=self.cache,
            operations=ops,
        )

    # -- events ------------------------------------------------------------------------------

    def _say(self, turn: _Turn, text: str, *, streamed: bool = False) -> TextDelta:
        turn.texts.append(text)
        return TextDelta(text, streamed)

    def _line(self, turn: _Turn, line: str) -> TextDelta:
        """Say one of the engine's fixed lines in the caller's language."""
        return self._say(turn, t(line, turn.session.language))

    def _transfer(self, turn: _Turn, number: str, reason: str) -> Transfer:
        turn.control.append({"type": "transfer", "number": number, "reason": reason})
        turn.session.ended = True
        turn.session.outcome = turn.session.outcome or "transferred"
        return Transfer(number, reason)

    def _end(self, turn: _Turn, reason: str) -> EndConversation:
        turn.control.append({"type": "end", "reason": reason})
        turn.session.ended = True
        return EndConversation(reason)


@dataclass
class _TokenSink:
    """Passes streamed tokens on, remembering them as what the caller has heard so far."""

    turn: _Turn
    hook: TokenHook

    async def __call__(self, token: str) -> None:
        self.turn.partial += token
        await self.hook(token)


def _replay(replay: Replay) -> list[Event]:
    events: list[Event] = [TextDelta(replay.reply)]
    for item in replay.control:
        if item["type"] == "transfer":
            events.append(Transfer(item["number"], item["reason"]))
        elif item["type"] == "end":
            events.append(EndConversation(item["reason"]))
    return events


def _loose_arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return {"_raw": raw[:200]}
    return value if isinstance(value, dict) else {"_raw": raw[:200]}


def _close_open_tool_calls(session: Session) -> None:
    """Drop a trailing assistant tool-call message that never got its answers."""
    if session.history and session.history[-1].get("tool_calls"):
        session.history.pop()


def too_slow_line(settings: Settings) -> str:
    """The "system is slow, let me take a message" line, promising only what happens."""
    return LINE_TOO_SLOW if can_call_back(settings) else LINE_TOO_SLOW_NO_CALLBACK

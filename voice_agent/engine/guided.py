"""Guided intake: a deterministic `ChatModel` that fills the booking slots without an LLM.

It is the embedded default and the fallback when the LLM fails. It keeps no memory of its own:
each call reads the session through the `identify_caller` tool (identity, problem, address,
offered windows, pending yes) and the conversation history (which question it asked last), so it
continues seamlessly from whatever the LLM had already recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from voice_agent.engine.intents import classify_yes_no, is_goodbye, normalise
from voice_agent.engine.messages import ChatMessage, Completion, ToolCall, ToolSchema

ASK_PROBLEM = "What can we help you with today?"
ASK_VERIFY = "For your security, can you tell me the street address on your account?"
ASK_NAME = "Can I have your first and last name, please?"
ASK_ADDRESS = "And what's the address where you need the service?"
ASK_WINDOW = "Which of those works best for you?"
ASK_ANYTHING_ELSE = "Is there anything else I can help with?"
MESSAGE_SEEN_FIRST_THING = (
    "Thanks, I've passed that on, and the office will see your message first thing."
)
ASK_MESSAGE = "I can take a message for the office. What would you like me to pass on?"
OUT_OF_AREA = "Sorry, we don't serve {place}."
INTAKE_FIRST = "A quick question for the technician: {question}"
INTAKE_REASK = "No problem. Just so the technician comes prepared: {question}"
INTAKE_NO_ANSWER = "no answer"  # recorded when the caller declines twice (not spoken)
_DECLINES = (
    "don't know", "dont know", "do not know", "not sure", "no idea", "skip", "rather not",
    "dunno", "can't say", "no clue", "i'm not sure", "not certain",
    "no se", "ni idea", "no estoy seguro", "no estoy segura", "no sabria",
)  # fmt: skip
_MARKERS: tuple[tuple[str, str], ...] = (
    ("help you today", "problem"),
    ("can we help you with", "problem"),
    ("street address on your account", "verify"),
    ("first and last name", "name"),
    ("where you need the service", "address"),
    ("works best for you", "window"),
    ("shall i book that", "confirm"),
    ("anything else i can help", "anything_else"),
    ("pass on", "message"),
    # Spanish lines that reach the history as spoken (the engine translates guided lines only
    # for the caller; tools' read-backs and the language switch are stored in Spanish)
    ("le puedo ayudar hoy", "problem"),
    ("se lo reservo", "confirm"),
    ("en que le pueda ayudar", "anything_else"),
    ("mensaje quiere dejar", "message"),
)
_ORDINALS = (  # ordinal words before numbers: "the second one" is the second
    ("first", 0), ("second", 1), ("third", 2), ("last", -1), ("latest", -1),
    ("earliest", 0), ("middle", 1), ("1", 0), ("2", 1), ("3", 2),
    ("one", 0), ("two", 1), ("three", 2),
    ("primera", 0), ("primero", 0), ("segunda", 1), ("segundo", 1), ("tercera", 2),
    ("tercero", 2), ("ultima", -1), ("ultimo", -1), ("uno", 0), ("dos", 1), ("tres", 2),
)  # fmt: skip
_NAME_PREFIX = re.compile(
    r"^(?:my name is|my name's|it's|it is|this is|i'm|i am|name's|me llamo|mi nombre es|"
    r"soy|habla)\s+"
)
_DAYS = (
    "today", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "hoy", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
)  # fmt: skip


@dataclass
class _Action:
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]

    @property
    def error(self) -> str | None:
        value = self.result.get("error")
        return str(value) if value else None


class GuidedIntakeModel:
    """Slot-filling intake: problem → identity → address → windows → read-back → yes → book."""

    name = "guided"

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSchema], *, timeout: float
    ) -> Completion:
        """The next step of the script; never raises."""
        offered = {t.name for t in tools}
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
        said = messages[last_user].content or "" if last_user >= 0 else ""
        awaiting = _awaiting(messages[:last_user] if last_user >= 0 else messages)
        actions = _actions(messages[last_user + 1 :])
        step = _Step(messages, offered, said, awaiting, actions)
        return step.next()


class _Step:
    def __init__(
        self,
        messages: Sequence[ChatMessage],
        offered: set[str],
        said: str,
        awaiting: str | None,
        actions: list[_Action],
    ) -> None:
        self.messages = messages
        self.offered = offered
        self.said = said.strip()
        self.words = normalise(said)
        self.awaiting = awaiting
        self.actions = actions
        self.done = {a.name for a in actions}

    def call(self, name: str, **arguments: Any) -> Completion:
        if name not in self.offered:
            return self.text(ASK_MESSAGE if "take_message" in self.offered else "Goodbye!")
        call = ToolCall(
            id=f"guided-{len(self.messages)}", name=name, arguments=json.dumps(arguments)
        )
        return Completion(content=None, tool_calls=(call,), model="guided")

    def text(self, content: str) -> Completion:
        return Completion(content=content, model="guided")

    def next(self) -> Completion:
        if not self.actions:
            return self.call("identify_caller")
        last = self.actions[-1]
        if last.name != "identify_caller":
            spoken = self.after(last)
            return self.text(spoken) if spoken is not None else self.call("identify_caller")
        return self.decide(last.result)

    # -- what to say after an action -----------------------------------------------------------

    def after(self, action: _Action) -> str | None:
        error = action.error
        if action.result.get("out_of_area"):
            place = str(action.result.get("place") or "")
            return f"{OUT_OF_AREA.format(place=place)} {ASK_MESSAGE}"
        if action.name == "check_availability":
            if error:
                return f"Sorry, I couldn't find an open time. {ASK_MESSAGE}"
            whens = [w["when"] for w in action.result.get("windows", [])]
            return f"I have {_join(whens)}. {ASK_WINDOW}"
        if action.name == "propose_booking" and not error:
            return str(action.result["read_back"])
        if action.name == "book_job":
            if error and "office will confirm" in error:
                return (
                    "I've got your request, and the office will confirm the time by text. "
                    + ASK_ANYTHING_ELSE
                )  # noqa: E501
            if error:
                return f"Sorry, I couldn't book that. {ASK_MESSAGE}"
            return f"{action.result['confirmation']} {ASK_ANYTHING_ELSE}"
        if action.name == "take_message" and action.result.get("call_back") is False:
            return f"{MESSAGE_SEEN_FIRST_THING} {ASK_ANYTHING_ELSE}"
        if action.name == "take_message":
            return (
                "Thanks, I've passed that on and someone from the office will call you back. "
                + ASK_ANYTHING_ELSE
            )  # noqa: E501
        if action.name == "verify_caller" and error:
            if "Too many" in error:
                return f"I'm sorry, I can't verify the account right now. {ASK_MESSAGE}"
            return f"Sorry, that doesn't match what we have. {ASK_VERIFY}"
        if error and action.name in (
            "find_or_create_customer",
            "add_service_address",
            "propose_booking",
            "record_problem",
        ):
            return f"Sorry, something went wrong on our side. {ASK_MESSAGE}"
        return None

    def intake_question(self, question: str) -> Completion:
        """Ask the job's next intake question; record the answer; skip after one re-ask."""
        answered = "record_intake_answer" in self.done
        if not answered and question in _last_spoken(self.messages):
            padded = f" {self.words} "
            declined = not self.words or any(f" {p} " in padded for p in _DECLINES)
            if not declined or _times_asked(self.messages, question) >= 2:
                said = INTAKE_NO_ANSWER if declined else self.said
                return self.call("record_intake_answer", question=question, answer=said)
            return self.text(INTAKE_REASK.format(question=question))
        return self.text(question if answered else INTAKE_FIRST.format(question=question))

    # -- what to do next, from the session status -----------------------------------------------

    def decide(self, status: dict[str, Any]) -> Completion:  # noqa: C901 - a script reads best flat
        answer = classify_yes_no(self.said)
        if status.get("awaiting_message") or self.awaiting == "message":
            if answer == "no" or is_goodbye(self.said):
                return self.call("end_call", reason="no message")
            return self.call("take_message", message=self.said or "(no message)")
        if self.awaiting == "anything_else":
            if answer == "no" or is_goodbye(self.said):
                return self.call("end_call", reason="caller done")
            if answer == "yes":
                return self.text(ASK_PROBLEM)
        pending = status.get("pending_confirmation")
        if pending and status.get("caller_said_yes") and "book_job" not in self.done:
            if pending["kind"] == "book":
                return self.call("book_job")
        if self.awaiting == "confirm" and answer != "yes" and status.get("offered_windows"):
            whens = [w["when"] for w in status["offered_windows"]]
            return self.text(f"No problem. I have {_join(whens)}. {ASK_WINDOW}")
        if {"message", "mensaje"} & set(self.words.split()):
            return self.text(ASK_MESSAGE)
        if not status.get("problem") or self.awaiting == "anything_else":
            if (
                self.awaiting in (None, "problem", "anything_else")
                and self.said
                and "record_problem" not in self.done
            ):  # noqa: E501
                return self.call("record_problem", problem=self.said)
            return self.text(ASK_PROBLEM)
        if status.get("known_caller") and not status.get("verified"):
            if not status.get("verify_attempts_left"):
                return self.text(f"I'm sorry, I can't verify the account right now. {ASK_MESSAGE}")
            if self.awaiting == "verify" and "verify_caller" not in self.done:
                return self.call("verify_caller", street_address=self.said, full_name=self.said)
            return self.text(ASK_VERIFY)
        if not status.get("customer_on_file"):
            name = self.said if self.awaiting == "name" else _answer(self.messages, "name")
            address = self.said if self.awaiting == "address" else _answer(self.messages, "address")
            if not name:
                return self.text(ASK_NAME)
            if not address:
                return self.text(ASK_ADDRESS)
            first, last = _split_name(name)
            return self.call(
                "find_or_create_customer", first_name=first, last_name=last, street=address
            )
        if not status.get("address_on_file"):
            if self.awaiting == "address" and "add_service_address" not in self.done:
                return self.call("add_service_address", street=self.said)
            return self.text(ASK_ADDRESS)
        intake = status.get("intake_questions_pending") or []
        if intake and "check_availability" not in self.done:
            return self.intake_question(str(intake[0]))
        windows = status.get("offered_windows") or []
        if self.awaiting == "window" and windows and "propose_booking" not in self.done:
            pick = _pick_window(self.words, windows)
            if pick is not None:
                return self.call("propose_booking", window_id=pick)
            if "check_availability" not in self.done:
                return self.call("check_availability", preferred_time=self.said)
        if "check_availability" not in self.done:
            return self.call("check_availability")
        return self.text(f"Sorry, I didn't catch that. {ASK_MESSAGE}")


def _actions(turn: Sequence[ChatMessage]) -> list[_Action]:
    """The tool calls made since the caller spoke, with their parsed results."""
    calls: dict[str, ToolCall] = {}
    actions: list[_Action] = []
    for message in turn:
        for call in message.tool_calls:
            calls[call.id] = call
        if message.role == "tool" and message.tool_call_id in calls:
            call = calls[message.tool_call_id]
            actions.append(_Action(call.name, _json(call.arguments), _json(message.content or "")))
    return actions


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def _slot_of(text: str) -> str | None:
    lowered = text.lower()
    found = [(lowered.rfind(marker), slot) for marker, slot in _MARKERS if marker in lowered]
    return max(found)[1] if found else None


def _awaiting(before: Sequence[ChatMessage]) -> str | None:
    """The slot the last spoken question asked for (None if it was not one of ours)."""
    for message in reversed(before):
        if message.role == "assistant" and message.content:
            return _slot_of(message.content)
        if message.role == "user":
            return None
    return None


def _last_spoken(messages: Sequence[ChatMessage]) -> str:
    """What we said last before the caller's latest words ("" if nothing)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    for message in reversed(messages[: max(last_user, 0)]):
        if message.role == "assistant" and message.content:
            return message.content
        if message.role == "user":
            return ""
    return ""


def _times_asked(messages: Sequence[ChatMessage], question: str) -> int:
    """How many times we have said `question` in this conversation."""
    return sum(1 for m in messages if m.role == "assistant" and question in (m.content or ""))


def _answer(messages: Sequence[ChatMessage], slot: str) -> str | None:
    """The caller's latest answer to our question for `slot`, from the history."""
    found: str | None = None
    asked = False
    for message in messages:
        if message.role == "assistant" and message.content:
            asked = _slot_of(message.content) == slot
        elif message.role == "user":
            if asked and message.content:
                found = message.content.strip()
            asked = False
    return found


def _split_name(said: str) -> tuple[str, str]:
    words = _NAME_PREFIX.sub("", normalise(said)).split()
    words = [w.capitalize() for w in words if w not in ("and", "please", "y", "por", "favor")]
    if not words:
        return said.strip() or "Caller", ""
    return " ".join(words[:-1]) or words[0], words[-1] if len(words) > 1 else ""


def _pick_window(words: str, windows: list[dict[str, Any]]) -> str | None:
    """The window the caller chose: by order ("the second one"), by day, or by hour."""
    tokens = words.split()
    for word, index in _ORDINALS:
        if word in tokens and -len(windows) <= index < len(windows):
            return str(windows[index]["id"])
    for window in windows:
        when = normalise(str(window["when"]))
        day = next((d for d in _DAYS if d in when.split()), None)
        if day and day in tokens:
            return str(window["id"])
    for window in windows:
        first_hour = re.search(r"(?:between|entre las?) (\d+)", normalise(str(window["when"])))
        if first_hour and first_hour.group(1) in tokens:
            return str(window["id"])
    return None


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]

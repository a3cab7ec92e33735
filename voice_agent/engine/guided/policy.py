"""The guided policy: hear the caller in the light of what was asked, then drive the task.

`Policy.next` is called once per step of a turn: first with the caller's words, then after each
tool the engine ran for it, until it says something. What it asked last, the request being
served and the caller's name and address as said live in `Session.guided`; everything else
(identity, windows, the pending yes) is the session's own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from voice_agent.engine.guided.phrases import area_line, hours_line
from voice_agent.engine.messages import ChatMessage, Completion, ToolCall
from voice_agent.engine.session import Session
from voice_agent.lines import join_list, line
from voice_agent.settings import Settings
from voice_agent.tools.intake import pending_questions
from voice_agent.understanding.addresses import parse_address
from voice_agent.understanding.answers import closing, yes_no
from voice_agent.understanding.choices import Elsewhere, Option, choose, preference
from voice_agent.understanding.names import parse_name
from voice_agent.understanding.numbers import spoken_digits
from voice_agent.understanding.requests import classify_request

MAX_MISSES = 2
ACCOUNT_TASKS = ("reschedule", "cancel", "balance", "pay", "appointments")
WRITE_FOR = {
    "book": "book_job",
    "reschedule": "reschedule_appointment",
    "cancel": "request_cancellation",
}
NO_ANSWER = "no answer"
_DECLINES = (
    "don't know", "dont know", "do not know", "not sure", "no idea", "skip", "rather not",
    "dunno", "can't say", "no clue", "not certain", "no se", "ni idea", "no estoy seguro",
    "no estoy segura", "no sabria",
)  # fmt: skip


@dataclass(frozen=True)
class Action:
    """A tool the engine ran for guided intake in this turn, with its parsed result."""

    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The tool's error sentence, if it failed."""
        value = self.result.get("error")
        return str(value) if value else None


def actions_since_caller(turn: Sequence[ChatMessage]) -> list[Action]:
    """The tool calls made since the caller spoke, with their parsed results."""
    calls: dict[str, ToolCall] = {}
    actions: list[Action] = []
    for message in turn:
        for call in message.tool_calls:
            calls[call.id] = call
        if message.role == "tool" and message.tool_call_id in calls:
            call = calls[message.tool_call_id]
            actions.append(Action(call.name, _json(call.arguments), _json(message.content or "")))
    return actions


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


@dataclass
class Policy:
    """One step of guided intake for one turn."""

    session: Session
    settings: Settings
    said: str
    actions: list[Action]
    offered: set[str]
    now: datetime
    call_id: str

    @property
    def lang(self) -> str:
        return self.session.language

    @property
    def state(self) -> Any:
        return self.session.guided

    # -- output ----------------------------------------------------------------------------------

    def call(self, tool: str, /, **arguments: Any) -> Completion:
        if tool not in self.offered:
            return self.ask("message", line("guided.ask_message", self.lang))
        call = ToolCall(id=f"{self.call_id}-{tool}", name=tool, arguments=json.dumps(arguments))
        return Completion(content=None, tool_calls=(call,), model="guided")

    def ask(self, asked: str | None, *parts: str) -> Completion:
        """Say `parts` and remember what the caller is now answering."""
        self.state.asked = asked
        return Completion(content=" ".join(p for p in parts if p), model="guided")

    def t(self, key: str, **values: object) -> str:
        return line(key, self.lang, **values)

    def anything_else(self, *before: str) -> Completion:
        self.state.task, self.state.misses = None, 0
        return self.ask("anything_else", *before, self.t("guided.anything_else"))

    def offer_message(self, *before: str) -> Completion:
        self.state.task = "message"
        return self.ask("message", *before, self.t("guided.ask_message"))

    def missed(self, reask: Completion) -> Completion:
        """Ask again, or after `MAX_MISSES` offer a message instead of guessing."""
        self.state.misses += 1
        if self.state.misses > MAX_MISSES:
            self.state.misses = 0
            return self.offer_message(self.t("guided.didnt_catch"))
        return reask

    # -- entry -----------------------------------------------------------------------------------

    def next(self) -> Completion:
        if self.actions:
            from voice_agent.engine.guided.results import after

            return after(self, self.actions[-1])
        return self.hear()

    def hear(self) -> Completion:  # noqa: C901 - one branch per question
        st, session = self.state, self.session
        asked = st.asked or self._resumed()
        if session.awaiting_message or asked == "message":
            if yes_no(self.said) == "no" or closing(self.said) == "done" or not self.said.strip():
                return self.call("end_call", reason="no message")
            return self.call("take_message", message=self.said.strip(), **self._name_arg())
        if asked == "anything_else":
            request = classify_request(self.said)
            answer = closing(self.said)
            if request is not None and request not in ("emergency", "person"):
                return self.start(request)
            if answer == "done":
                return self.call("end_call", reason="caller done")
            if answer == "more":
                return self.ask("intent", self.t("guided.what_else"))
            return self.missed(self.ask("anything_else", self.t("guided.ask_intent_again")))
        if asked == "confirm":
            return self.hear_confirm()
        if asked == "resume":
            return self.advance()
        if asked == "window" and session.windows:
            return self.hear_window()
        switch = self._switch()
        if switch is not None:
            return switch
        if asked == "verify":  # one fact: the street or the name on the account
            address = parse_address(self.said, self.lang)
            street = address.street if address else spoken_digits(self.said, self.lang)
            name = parse_name(self.said, self.lang)
            full_name = " ".join(p for p in name if p) if name else self.said
            return self.call("verify_caller", street_address=street, full_name=full_name)
        if asked in ("name", "account_name"):
            name = parse_name(self.said, self.lang)
            if name is None:
                return self.missed(self.ask(asked, self.t("guided.name_again")))
            st.name, st.misses = list(name), 0
            return self.advance()
        if asked in ("address", "account_address"):
            address = parse_address(self.said, self.lang)
            if address is None:
                return self.missed(self.ask(asked, self.t("guided.address_again")))
            st.address, st.misses = (
                {
                    "street": address.street,
                    "city": address.city,
                    "state": address.state,
                    "zip": address.zip,
                },
                0,
            )
            return self.advance()
        if asked == "intake":
            return self.hear_intake()
        if asked == "appointment":
            return self.hear_appointment()
        if asked == "pay_link":
            link = yes_no(self.said)
            if link == "yes":
                return self.call("send_payment_link")
            if link == "no":
                return self.anything_else()
            return self.missed(self.ask("pay_link", self.t("guided.yes_or_no")))
        if asked == "estimate":
            st.request_text = self.said.strip()
            return self.advance()
        if asked == "problem":
            return self.call("record_problem", problem=self.said.strip())
        request = classify_request(self.said)
        if request is None or request in ("emergency", "person"):
            if asked == "intent" and self.said.strip() and st.task is None:
                st.misses += 1
            return self.missed(self.ask("intent", self.t("guided.ask_intent_again")))
        return self.start(request)

    def _resumed(self) -> str | None:
        """Where to pick up when the LLM handed over mid-call (guided had asked nothing)."""
        session = self.session
        if session.pending is not None:
            self.state.task = {"book": "book", "reschedule": "reschedule", "cancel": "cancel"}.get(
                session.pending.kind
            )
            return "confirm"
        if session.windows:
            self.state.task = self.state.task or "book"
            return "window"
        if session.problem and not session.booked_job_ids and self.state.task is None:
            self.state.task = "book"  # the LLM had the request; carry on from the session
            return "resume"
        return None

    def _switch(self) -> Completion | None:
        """A clear new request in the middle of another ("actually, cancel it instead")."""
        asked = self.state.asked
        if asked in (None, "intent", "estimate", "problem"):
            return None
        request = classify_request(self.said)
        if asked == "intake" and request != "message":
            return None
        if request in (None, "book", "emergency", "person", "area", "hours"):
            return None
        if asked in ("name", "account_name") and parse_name(self.said, self.lang) is not None:
            return None
        if asked in ("address", "account_address") and parse_address(self.said, self.lang):
            return None
        if request == self.state.task:
            return None
        assert request is not None
        return self.start(request)

    # -- answers to specific questions -----------------------------------------------------------

    def hear_confirm(self) -> Completion:
        st, pending = self.state, self.session.pending
        answer = yes_no(self.said)
        if answer == "yes" and pending is not None and self.session.confirmed_id == pending.id:
            return self.call(WRITE_FOR.get(pending.kind, "book_job"))
        if answer == "no" or pending is None:  # the engine drops the pending action on a no
            self.session.pending = None
            st.proposal = None
            if st.task == "reschedule" and self.session.windows:
                return self.offer_windows(self.t("guided.not_changed"))
            if self.session.windows:
                whens = join_list([w.spoken for w in self.session.windows], self.lang)
                again = self.t("guided.no_problem_i_have", list=whens)
                return self.ask("window", again, self.t("guided.ask_window"))
            return self.anything_else(self.t("guided.not_changed"))
        request = classify_request(self.said)
        if request not in (None, "book", "emergency", "person") and request != st.task:
            assert request is not None
            return self.start(request)
        if self.session.windows and isinstance(choose(self.said, self._options()), int):
            return self.hear_window()  # "no wait, the Friday one"
        if st.proposal:  # repeat the proposal so the next yes counts
            st.asked = "confirm_again"
            return self.call(st.proposal["name"], **st.proposal["arguments"])
        return self.missed(self.ask("confirm", self.t("guided.yes_or_no")))

    def _options(self) -> list[Option]:
        zone = self.settings.zone
        return [
            Option(
                datetime.fromisoformat(w.start).astimezone(zone),
                datetime.fromisoformat(w.end).astimezone(zone),
                w.spoken,
            )
            for w in self.session.windows
        ]

    def hear_window(self) -> Completion:
        today = self.now.astimezone(self.settings.zone).date()
        picked = choose(self.said, self._options(), today)
        if isinstance(picked, int):
            window_id = self.session.windows[picked].id
            self.state.misses = 0
            if self.state.task == "reschedule" and self.state.job_id:
                return self.propose(
                    "propose_reschedule", job_id=self.state.job_id, window_id=window_id
                )
            return self.propose("propose_booking", window_id=window_id)
        if isinstance(picked, Elsewhere):
            wish = preference(picked.preference)
            if wish:
                self.session.preferred_time = wish
                return self.call("check_availability", preferred_time=wish)
        switch = self._switch()
        if switch is not None:
            return switch
        return self.missed(self.offer_windows(self.t("guided.which_time")))

    def propose(self, tool: str, /, **arguments: Any) -> Completion:
        self.state.proposal = {"name": tool, "arguments": arguments}
        return self.call(tool, **arguments)

    def offer_windows(self, *before: str) -> Completion:
        whens = [w.spoken for w in self.session.windows]
        if self.state.task == "reschedule":
            offer = self.t("guided.move_to", list=join_list(whens, self.lang))
        else:
            offer = self.t("guided.i_have", list=join_list(whens, self.lang))
        return self.ask("window", *before, offer, self.t("guided.ask_window"))

    def hear_intake(self) -> Completion:
        questions = pending_questions(self.settings, self.session)
        if not questions:
            return self.advance()
        question = questions[0]
        padded = f" {' '.join(self.said.lower().split())} "
        declined = not self.said.strip() or any(f" {p} " in padded for p in _DECLINES)
        if declined and self.state.misses == 0:
            self.state.misses = 1
            return self.ask("intake", self.t("guided.intake_reask", question=question))
        self.state.misses = 0
        answer = NO_ANSWER if declined else self.said.strip()
        return self.call("record_intake_answer", question=question, answer=answer)

    def hear_appointment(self) -> Completion:
        appointments = self.state.appointments or []
        options = [Option(None, None, f"{a['when']} {a['service']}") for a in appointments]
        picked = choose(self.said, options)
        if not isinstance(picked, int):
            return self.missed(self.which_appointment())
        self.state.job_id = appointments[picked]["job_id"]
        return self.advance()

    def which_appointment(self) -> Completion:
        items = [f"{a['service']} {a['when']}" for a in self.state.appointments or []]
        return self.ask(
            "appointment", self.t("guided.which_appointment", list=join_list(items, self.lang))
        )

    # -- running a request to its end --------------------------------------------------------------

    def start(self, request: str) -> Completion:
        st = self.state
        st.task, st.request_text, st.misses = request, self.said.strip(), 0
        st.job_id, st.appointments, st.proposal = None, None, None
        if request == "book" and self.session.booked_job_ids and self.session.problem:
            self.session.problem = None  # a second visit in this call is its own problem
        if request == "message":
            return self.offer_message()
        if request == "hours":
            return self.anything_else(hours_line(self.settings, self.lang))
        if request == "area":
            return self.anything_else(area_line(self.settings, self.lang))
        if request == "book":
            wish = preference(self.said)
            return self.call(
                "record_problem",
                problem=self.said.strip(),
                **({"preferred_time": wish} if wish else {}),
            )
        return self.advance()

    def advance(self) -> Completion:
        task = self.state.task
        if task in ACCOUNT_TASKS:
            return self.account_task(task)
        if task == "estimate":
            return self.estimate()
        return self.booking()

    def identify_for_booking(self) -> Completion | None:
        """Ask or act until the session has the caller's customer and service address."""
        session, st = self.session, self.state
        if session.customer_id is None:
            if session.matched_customer_id is not None and not session.verified:
                return self.verify()
            if st.name is None:
                return self.ask("name", self.t("guided.ask_name"))
            if st.address is None:
                return self.ask("address", self.t("guided.ask_address"))
            first, last = st.name
            return self.call(
                "find_or_create_customer", first_name=first, last_name=last,
                **{k: v for k, v in st.address.items() if v},
            )  # fmt: skip
        if session.address_id is None:
            if st.address is None:
                return self.ask("address", self.t("guided.ask_address"))
            return self.call("add_service_address", **{k: v for k, v in st.address.items() if v})
        return None

    def verify(self) -> Completion:
        """Verify the caller: one fact when the number is theirs, name and address otherwise."""
        session, st = self.session, self.state
        if session.verify_attempts >= 3:
            return self.offer_message(self.t("guided.cannot_verify"))
        if session.matched_customer_id is not None:
            return self.ask("verify", self.t("guided.ask_verify"))
        if st.name is None:
            return self.ask("account_name", self.t("guided.ask_account_name"))
        if st.address is None:
            return self.ask("account_address", self.t("guided.ask_account_address"))
        full_name = " ".join(p for p in st.name if p)
        return self.call("verify_caller", street_address=st.address["street"], full_name=full_name)

    def booking(self) -> Completion:
        session = self.session
        if not session.problem:
            return self.ask("problem", self.t("guided.ask_problem"))
        needed = self.identify_for_booking()
        if needed is not None:
            return needed
        questions = pending_questions(self.settings, session)
        if questions:
            if session.intake_answers:
                return self.ask("intake", questions[0])
            return self.ask("intake", self.t("guided.intake_first", question=questions[0]))
        if session.windows:
            return self.offer_windows()
        return self.call("check_availability", **self._wish())

    def _wish(self) -> dict[str, str]:
        wish = preference(self.state.request_text or "") or self.session.preferred_time
        return {"preferred_time": wish} if wish else {}

    def account_task(self, task: str) -> Completion:
        if not self.session.verified:
            return self.verify()
        st = self.state
        if task in ("balance", "pay"):
            return self.call("my_invoices")
        if st.appointments is None:
            return self.call("list_my_appointments")
        if task == "appointments":
            items = [f"{a['service']} {a['when']}" for a in st.appointments]
            if not items:
                return self.anything_else(self.t("guided.no_appointments"))
            return self.anything_else(
                self.t("guided.your_appointments", list=join_list(items, self.lang))
            )
        if not st.appointments:
            return self.anything_else(self.t("guided.no_appointments"))
        if st.job_id is None:
            if len(st.appointments) == 1:
                st.job_id = st.appointments[0]["job_id"]
            else:
                return self.which_appointment()
        if task == "cancel":
            reason = st.request_text or "caller asked to cancel"
            return self.propose("propose_cancellation", job_id=st.job_id, reason=reason)
        self.session.windows = []
        return self.call("check_availability", **self._wish())

    def estimate(self) -> Completion:
        session = self.session
        if session.customer_id is None or session.address_id is None:
            needed = self.identify_for_booking()
            if needed is not None:
                return needed
        text = self.state.request_text or ""
        if not _describes_work(text):
            if self.state.asked == "estimate" and text:
                return self.call("create_estimate", description=text)
            return self.ask("estimate", self.t("guided.ask_estimate"))
        return self.call("create_estimate", description=text)

    def _name_arg(self) -> dict[str, str]:
        name = self.state.name
        return {"name": " ".join(p for p in name if p)} if name else {}


def _describes_work(text: str) -> bool:
    """Whether a price request names the work ("a new water heater"), not just "a quote"."""
    from voice_agent.understanding.requests import names_work

    return names_work(text)

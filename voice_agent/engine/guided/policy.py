"""The guided policy: hear the caller in the light of what was asked, then drive the task.

`Policy.next` is called once per step of a turn: first with the caller's words, then after each
tool the engine ran for it, until it says something. What it asked last, the request being
served and the caller's name and address as said live in `Session.guided`; everything else
(identity, windows, the pending yes) is the session's own.
"""

from __future__ import annotations

from datetime import datetime

from voice_agent.engine.guided.base import MAX_MISSES, Action, actions_since_caller
from voice_agent.engine.guided.results import after
from voice_agent.engine.guided.tasks import Tasks
from voice_agent.engine.intents import is_goodbye
from voice_agent.engine.messages import Completion
from voice_agent.engine.questions import pending_questions
from voice_agent.lines import join_list
from voice_agent.understanding.addresses import parse_address
from voice_agent.understanding.answers import closing, yes_no
from voice_agent.understanding.choices import Elsewhere, Option, choose, preference
from voice_agent.understanding.names import parse_name
from voice_agent.understanding.numbers import spoken_digits
from voice_agent.understanding.requests import classify_request

__all__ = ["MAX_MISSES", "Action", "Policy", "actions_since_caller"]
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


class Policy(Tasks):
    """Hear the caller's words in the light of the question asked; then act or ask."""

    def next(self) -> Completion:
        if self.actions:
            return after(self, self.actions[-1])
        return self.hear()

    def hear(self) -> Completion:  # noqa: C901 - one branch per question
        st, session = self.state, self.session
        asked = st.asked or self._resumed()
        if session.awaiting_message or asked == "message":
            if yes_no(self.said) == "no" or closing(self.said) == "done" or not self.said.strip():
                return self.call("end_call", reason="no message")
            if yes_no(self.said) == "yes" or len(self.said.split()) < 2:  # not a message yet
                return self.missed(self.ask("message", self.t("guided.ask_message")))
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
        request = classify_request(self.said)
        if asked == "problem" and request in (None, "book") and self.said.strip():
            return self.call("record_problem", problem=self.said.strip())
        if request is None and is_goodbye(self.said):  # "bye", "wrong number, bye"
            return self.call("end_call", reason="caller done")
        if request is None or request in ("emergency", "person"):
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

"""Running the caller's request to its end: booking, account tasks, estimates, the rest."""

from __future__ import annotations

from voice_agent.engine.guided.base import Step
from voice_agent.engine.guided.phrases import area_line, hours_line
from voice_agent.engine.messages import Completion
from voice_agent.engine.questions import pending_questions
from voice_agent.engine.session import MAX_VERIFY_ATTEMPTS
from voice_agent.lines import join_list
from voice_agent.understanding.choices import preference
from voice_agent.understanding.requests import names_work, only_booking

ACCOUNT_TASKS = ("reschedule", "cancel", "balance", "pay", "appointments")


class Tasks(Step):
    """What to ask or do next for the request being served, from the session's facts."""

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
        if request == "book" and only_booking(self.said):
            return self.ask("problem", self.t("guided.ask_problem"))
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
        if session.verify_attempts >= MAX_VERIFY_ATTEMPTS:
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
                self.t("guided.your_appointments", list=join_list(items, self.lang, every=True))
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
        if not names_work(text):
            if self.state.asked == "estimate" and text:
                return self.call("create_estimate", description=text)
            return self.ask("estimate", self.t("guided.ask_estimate"))
        return self.call("create_estimate", description=text)

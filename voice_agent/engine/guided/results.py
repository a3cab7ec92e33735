"""What guided intake says or does after a tool ran for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voice_agent.engine.messages import Completion
from voice_agent.engine.session import MAX_VERIFY_ATTEMPTS

if TYPE_CHECKING:
    from voice_agent.engine.guided.base import Action
    from voice_agent.engine.guided.tasks import Tasks

WRITES = ("book_job", "reschedule_appointment", "request_cancellation")
_SERVER_TROUBLE = (
    "find_or_create_customer",
    "add_service_address",
    "propose_booking",
    "propose_reschedule",
    "propose_cancellation",
    "record_problem",
    "record_intake_answer",
    "list_my_appointments",
    "my_invoices",
)


def after(p: Tasks, action: Action) -> Completion:  # noqa: C901, PLR0911, PLR0912 - one per tool
    """The next step once `action` has run (its error, its result, or the task's next step)."""
    st, session, error = p.state, p.session, action.error
    if action.result.get("out_of_area"):
        place = str(action.result.get("place") or "")
        return p.offer_message(p.t("guided.out_of_area", place=place))
    name = action.name
    if error and "busy" in error and name in WRITES:  # saved for later; the office confirms
        st.proposal = None
        return p.anything_else(p.t("guided.hcp_busy"))
    if name == "verify_caller":
        if error is None:
            return p.advance()
        if "Too many" in error or session.verify_attempts >= MAX_VERIFY_ATTEMPTS:
            return p.offer_message(p.t("guided.cannot_verify"))
        if session.matched_customer_id is not None:
            return p.ask("verify", p.t("guided.verify_mismatch"), p.t("guided.ask_verify"))
        st.name = st.address = None
        return p.ask("account_name", p.t("guided.no_account"), p.t("guided.ask_account_name"))
    if name == "check_availability":
        if error and "busy" in error:  # HCP throttled us: say so, not "nothing open"
            return p.offer_message(p.t("guided.scheduling_busy"))
        if error:
            key = "guided.no_open_move" if st.task == "reschedule" else "guided.no_open_time"
            return p.offer_message(p.t(key))
        lead = ""
        if st.task == "reschedule":
            job = next((a for a in st.appointments or [] if a["job_id"] == st.job_id), None)
            if job is not None:
                lead = p.t("guided.your_appointment", service=job["service"], when=job["when"])
        return p.offer_windows(lead)
    if name in ("propose_booking", "propose_reschedule", "propose_cancellation") and not error:
        again = p.t("guided.didnt_catch") if st.asked == "confirm_again" else ""
        return p.ask("confirm", again, _read_back(p, action))
    if name in ("book_job", "reschedule_appointment") and "taken" in action.result:
        st.proposal = None  # the window was taken just before the write: the others, or look again
        if action.result.get("other_windows"):
            return p.offer_windows(p.t("guided.just_taken"))
        return p.advance()
    if name == "book_job":
        if error and "office will confirm" in error:
            return p.anything_else(p.t("guided.office_will_confirm"))
        if error:
            return p.offer_message(p.t("guided.could_not_book"))
        st.proposal = None
        return p.anything_else(str(action.result["confirmation"]))
    if name == "reschedule_appointment":
        if error:
            return p.offer_message(p.t("guided.went_wrong"))
        window = (st.proposal or {}).get("when") or ""
        st.proposal = None
        return p.anything_else(
            p.t("guided.moved", when=window) if window else p.t("guided.moved", when="")
        )
    if name == "request_cancellation":
        if error:
            return p.offer_message(p.t("guided.went_wrong"))
        st.proposal = None
        return p.anything_else(p.t("guided.cancel_sent"))
    if name == "list_my_appointments" and not error:
        st.appointments = [
            {"job_id": str(a["job_id"]), "when": str(a["when"]), "service": str(a["service"])}
            for a in action.result.get("appointments", [])
        ]
        return p.advance()
    if name == "my_invoices" and not error:
        balance = str(action.result.get("balance") or "")
        owed = bool(action.result.get("open_invoices"))
        if not owed:
            return p.anything_else(p.t("guided.no_balance"))
        key = "guided.balance_overdue" if action.result.get("overdue_count") else "guided.balance"
        said = p.t(key, amount=balance)
        if p.settings.pay_url is None:
            return p.anything_else(said, p.t("guided.no_pay_link"))
        return p.ask("pay_link", said, p.t("guided.offer_pay_link"))
    if name == "send_payment_link":
        if error:
            return p.anything_else(p.t("guided.no_pay_link"))
        return p.anything_else(p.t("guided.pay_link_sent"))
    if name == "create_estimate":
        if error:
            return p.offer_message(p.t("guided.cant_price"))
        return p.anything_else(p.t("guided.estimate_sent", total=str(action.result.get("total"))))
    if name == "take_message":  # a call-back is promised only with a number to tell (issue 19)
        taken = "guided.message_seen" if action.result.get("call_back") is False else None
        return p.anything_else(p.t(taken or "guided.message_taken"))
    if error and name in _SERVER_TROUBLE:
        if name == "record_problem":
            return p.ask("problem", p.t("guided.ask_problem"))
        return p.offer_message(p.t("guided.went_wrong"))
    if error:
        return p.offer_message(p.t("guided.went_wrong"))
    return p.advance()


def _read_back(p: Tasks, action: Action) -> str:
    """The read-back in the caller's language (booking's comes localised from its tool)."""
    st = p.state
    if action.name == "propose_booking":
        return str(action.result["read_back"])
    if action.name == "propose_reschedule":
        window_id = action.arguments.get("window_id")
        when = next((w.spoken for w in p.session.windows if w.id == window_id), "")
        if st.proposal is not None:
            st.proposal["when"] = when
        return p.t("guided.reschedule_read_back", when=when)
    job = next((a for a in st.appointments or [] if a["job_id"] == st.job_id), None)
    when = job["when"] if job else ""
    return p.t("guided.cancel_read_back", when=when)

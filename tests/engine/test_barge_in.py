"""Barge-in on the session: keep what was heard, tell the next turn, disarm an unheard read-back."""

from __future__ import annotations

from voice_agent.engine.barge_in import cut_to_heard
from voice_agent.engine.session import PendingAction, Session

READ_BACK = (
    "Just to confirm: AC repair at 64 20 Oak Street, arriving between 8 and 10 on Monday "
    "morning. Shall I book that?"
)


def session_after_read_back() -> Session:
    session = Session(seq=2)
    session.history = [
        {"role": "assistant", "content": "Hi, how can I help?"},
        {"role": "user", "content": "The first one, please."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c3", "name": "propose_booking", "arguments": "{}"}],
        },
        {"role": "tool", "content": '{"read_back": "..."}', "tool_call_id": "c3"},
        {"role": "assistant", "content": READ_BACK},
    ]
    session.pending = PendingAction(
        id="p1", kind="book", data={}, readback=READ_BACK, proposed_seq=2
    )
    return session


def test_cut_mid_read_back_keeps_the_heard_part_and_disarms_the_yes() -> None:
    session = session_after_read_back()
    heard = "Just to confirm: AC repair at 64 20"
    assert cut_to_heard(session, heard) == heard
    assert session.history[-2]["content"] == heard
    note = session.history[-1]
    assert note["role"] == "system" and heard in note["content"]
    assert "read it back again" in note["content"]
    assert session.pending is None


def test_read_back_heard_to_its_question_stays_open_to_a_yes() -> None:
    session = session_after_read_back()
    heard = READ_BACK.rsplit(" Shall", 1)[0] + " Shall I"
    cut_to_heard(session, heard)
    assert session.pending is not None and session.pending.id == "p1"
    assert "read it back again" not in session.history[-1]["content"]


def test_nothing_heard_drops_the_reply_but_keeps_tool_calls() -> None:
    session = session_after_read_back()
    cut_to_heard(session, "")
    assert all(m.get("content") != READ_BACK for m in session.history)
    assert session.history[2]["tool_calls"]  # the call and its answer stay paired
    assert "before hearing any of it" in session.history[-1]["content"]


def test_an_earlier_reply_of_the_turn_is_not_repeated_in_the_cut() -> None:
    session = Session(seq=1)
    session.history = [
        {"role": "user", "content": "my AC is broken"},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [{"id": "c1", "name": "check_availability", "arguments": "{}"}],
        },
        {"role": "tool", "content": "{}", "tool_call_id": "c1"},
        {"role": "assistant", "content": "I have Monday or Tuesday. Which works best?"},
    ]
    assert cut_to_heard(session, "Let me check. I have Monday") == "Let me check. I have Monday"
    assert session.history[1]["content"] == "Let me check."
    assert session.history[3]["content"] == "I have Monday"


def test_no_conversation_yet_is_left_alone() -> None:
    session = Session()
    assert cut_to_heard(session, "Hi") is None
    assert session.history == []

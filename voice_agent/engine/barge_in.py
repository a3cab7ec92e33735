"""Barge-in: keep only what the caller actually heard of a reply they cut off.

A streaming channel (ConversationRelay) reports the part of our speech the caller heard
before talking over it. The model's history and the transcript keep that part only, a
system note tells the next turn what happened, and a read-back the caller did not hear to
the end is no longer open to a "yes" (its facts come before the closing question).
"""

from __future__ import annotations

import re

from voice_agent.engine.session import Session

NOTE = (
    'The caller interrupted your last reply. They heard only: "{heard}". '
    "Nothing after that was said to them."
)
NOTE_NOTHING = "The caller interrupted your last reply before hearing any of it."
NOTE_READBACK = (
    " The read-back was cut off before its details were heard, so nothing is confirmed: "
    "read it back again and ask before acting on it."
)

_NON_WORD = re.compile(r"[^\w]+")
_LAST_SENTENCE = re.compile(r"[.!?]\s+(?=\S[^.!?]*[.!?]?\s*$)")


def _words(text: str) -> str:
    """`text` as lower-case words separated by single spaces (punctuation dropped)."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def heard_all(heard: str, reply: str) -> bool:
    """Whether `heard` starts with all of `reply` (words only, punctuation and case ignored)."""
    return _words(heard).startswith(_words(reply))


def _facts_of(reply: str) -> str:
    """The reply without its closing sentence (a read-back's question), or all of it."""
    ends = [m.start() for m in _LAST_SENTENCE.finditer(reply)]
    return reply[: ends[-1] + 1] if ends else reply


def _turn_start(session: Session) -> int:
    """Index just after the caller's latest message (0 when there is none)."""
    for i in range(len(session.history) - 1, -1, -1):
        if session.history[i].get("role") == "user":
            return i + 1
    return 0


def cut_to_heard(session: Session, heard: str) -> str | None:
    """Keep only `heard` of this turn's reply in `session`; return the reply as heard.

    The latest assistant text of the turn is cut to what was heard of it, a note for the
    next turn is added, and a read-back proposed this turn whose facts were not all heard
    is disarmed. None when there is no conversation yet.
    """
    if not session.history:
        return None
    heard = " ".join(heard.split())
    spoken = [  # this turn's replies with text, in order
        i
        for i in range(_turn_start(session), len(session.history))
        if session.history[i].get("role") == "assistant"
        and (session.history[i].get("content") or "").strip()
    ]
    if not spoken:  # cut off before any reply (e.g. while a tool ran): say so, cut nothing
        session.history.append({"role": "system", "content": NOTE_NOTHING})
        return heard
    index, said = spoken[-1], heard
    for earlier in spoken[:-1]:  # what they heard of the last one, after the earlier ones
        text = " ".join(str(session.history[earlier]["content"]).split())
        if said.lower().startswith(text.lower()):
            said = said[len(text) :].lstrip()
    message = session.history[index]
    if heard_all(said, str(message["content"])):
        pass  # they heard all of it (a late interrupt, or a reply already cut short)
    elif said:
        message["content"] = said
    elif message.get("tool_calls"):
        message["content"] = None
    else:
        del session.history[index]
    note = NOTE.format(heard=heard) if heard else NOTE_NOTHING
    pending = session.pending
    if (
        pending is not None
        and pending.proposed_seq == session.seq
        and _words(_facts_of(pending.readback)) not in _words(heard)
    ):
        session.pending = None
        note += NOTE_READBACK
    session.history.append({"role": "system", "content": note})
    return heard

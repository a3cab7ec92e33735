"""Per-job-type intake questions: which apply, which are still open, and the caller's answers.

Matching (`questions_for`): the keys of `settings.intake_questions_by_type` are lower-case job
type names. When the engine classified a job type (`session.job_type_name`), a key equal to that
name wins, else the longest key found in the name as whole words ("drain" fits "Drain
cleaning"). Only when no job type was classified is the caller's problem text searched the same
way ("my drain is clogged" fits "drain"). A classified job is never given another type's
questions because of a word in the problem ("AC leaking from the drain line" stays AC).

Answers live in the session (server side), go into the job's notes when it is booked and into
the lead when a message is taken instead; nothing else trusts them.
"""

from __future__ import annotations

import re

from voice_agent.engine.session import Session
from voice_agent.settings import Settings

NO_ANSWER = "(no answer)"
MAX_ANSWER_CHARS = 300
ASK_THEM = (
    "Before offering times, ask these questions one at a time, in your own words, and record "
    "each answer with record_intake_answer. If the caller can't or won't answer, record "
    '"no answer" and move on: {questions}'
)


def plain_words(text: str) -> str:
    """Lower-case words and digits, single-spaced (what matching compares)."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _best_key(keys: list[str], text: str) -> str | None:
    said = f" {plain_words(text)} "
    hits = [k for k in keys if plain_words(k) and f" {plain_words(k)} " in said]
    return max(hits, key=len) if hits else None


def questions_for(settings: Settings, session: Session) -> tuple[str, ...]:
    """The configured questions for this conversation's job (see the module docstring)."""
    table = settings.intake_questions_by_type
    if not table:
        return ()
    name = (session.job_type_name or "").strip().lower()
    if name:
        key = name if name in table else _best_key(list(table), name)
    else:
        key = _best_key(list(table), session.problem or "")
    return table[key] if key else ()


def pending_questions(settings: Settings, session: Session) -> list[str]:
    """The questions for this job not answered (or skipped) yet, in their configured order."""
    if not session.problem:
        return []
    done = {a["question"] for a in session.intake_answers}
    return [q for q in questions_for(settings, session) if q not in done]


def answer_lines(session: Session) -> str:
    """The answers as "Q: ... A: ..." lines for a job's or lead's notes ("" when none)."""
    return "\n".join(f"Q: {a['question']} A: {a['answer']}" for a in session.intake_answers)


def remember_answer(session: Session, question: str, answer: str) -> None:
    """Store (or correct) the answer to `question`."""
    text = " ".join(answer.split())[:MAX_ANSWER_CHARS] or NO_ANSWER
    session.intake_answers = [a for a in session.intake_answers if a["question"] != question]
    session.intake_answers.append({"question": question, "answer": text})


def match_question(said: str, questions: tuple[str, ...] | list[str]) -> str | None:
    """The configured question the model meant: same words, one inside the other, or most
    words in common (at least half of the question's)."""
    target = plain_words(said)
    if not target:
        return None
    for question in questions:
        words = plain_words(question)
        if words == target or (words and (words in target or target in words)):
            return question
    wanted = set(target.split())
    scored = [
        (len(wanted & set(plain_words(q).split())) / max(len(plain_words(q).split()), 1), q)
        for q in questions
    ]
    best = max(scored, default=(0.0, ""))
    return best[1] if best[0] >= 0.5 else None


def ask_instruction(pending: list[str]) -> str:
    """What the model is told while questions are open."""
    return ASK_THEM.format(questions=" | ".join(pending))

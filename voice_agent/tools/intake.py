"""The `record_intake_answer` tool; the questions themselves are `voice_agent.engine.questions`."""

from __future__ import annotations

from typing import Any

from voice_agent.engine.questions import (
    NO_ANSWER,
    match_question,
    pending_questions,
    plain_words,
    questions_for,
    remember_answer,
)
from voice_agent.engine.toolbox import ToolContext
from voice_agent.tools.registry import ToolError, tool


@tool
async def record_intake_answer(ctx: ToolContext, question: str, answer: str) -> dict[str, Any]:
    """Record the caller's answer to one of the intake questions for the technician (listed by
    record_problem and identify_caller), then ask the next one. If the caller can't or won't
    answer, record "no answer" and move on; never ask one question more than twice.

    Args:
        question: The question you asked, as it was listed.
        answer: The caller's answer in their words, or "no answer".
    """
    session = ctx.session
    questions = questions_for(ctx.settings, session) if session.problem else ()
    if not questions:
        raise ToolError("No intake questions apply to this job; carry on.")
    matched = match_question(question, questions)
    if matched is None:
        raise ToolError(
            f"That is not one of the intake questions. They are: {' | '.join(questions)}"
        )
    said = answer.strip()
    remember_answer(session, matched, NO_ANSWER if plain_words(said) in ("no answer", "") else said)
    return {"recorded": True, "intake_questions_pending": pending_questions(ctx.settings, session)}

"""The tool registry: schemas from signatures and docstrings, validation, error sentences."""

from __future__ import annotations

import json
from typing import Any

import pytest

from voice_agent.engine.policy import ACCOUNT_TOOLS, INTAKE_TOOLS, stage_for, tools_for
from voice_agent.engine.session import Session
from voice_agent.tools import ALL_TOOLS, default_registry
from voice_agent.tools.registry import GENERIC_FAILURE, ToolError, parse_docstring, tool


@tool
async def sample(
    ctx: Any, window_id: str, count: int = 2, note: str | None = None
) -> dict[str, Any]:
    """Pick a window for the caller.

    Longer explanation for the model.

    Args:
        window_id: The window id.
        count: How many, at most
            three.
        note: Anything else.
    """
    if window_id == "boom":
        raise RuntimeError("internal detail that must not leak")
    if window_id == "gone":
        raise ToolError("That time was just taken.")
    return {"window_id": window_id, "count": count, "note": note}


def test_schema_comes_from_signature_and_docstring() -> None:
    schema = sample.schema
    assert schema.name == "sample"
    assert schema.description == "Pick a window for the caller. Longer explanation for the model."
    params = schema.parameters
    assert params["required"] == ["window_id"]
    assert params["additionalProperties"] is False
    assert params["properties"]["window_id"] == {"description": "The window id.", "type": "string"}
    assert params["properties"]["count"]["description"] == "How many, at most three."
    assert params["properties"]["count"]["default"] == 2
    assert "ctx" not in params["properties"]


async def test_valid_arguments_run_the_tool() -> None:
    outcome = await sample.run(None, '{"window_id": "w1", "count": "3"}')  # type: ignore[arg-type]
    assert outcome.error is None
    assert outcome.result == {"window_id": "w1", "count": 3, "note": None}
    assert json.loads(outcome.for_model())["count"] == 3


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("{not json", "The arguments for sample were not valid JSON."),
        ("[1, 2]", "The arguments for sample must be a JSON object."),
        ("{}", "Wrong arguments for sample (window_id: Field required)."),
        ('{"window_id": "w1", "count": "many"}', "Wrong arguments for sample (count: "),
        (
            '{"window_id": "w1", "customer_id": "cus_x"}',
            "Wrong arguments for sample (customer_id: ",
        ),
    ],
)
async def test_bad_arguments_become_a_sentence_for_the_model(raw: str, error: str) -> None:
    outcome = await sample.run(None, raw)  # type: ignore[arg-type]
    assert outcome.result is None
    assert outcome.error is not None and outcome.error.startswith(error)
    assert json.loads(outcome.for_model()) == {"error": outcome.error}


async def test_tool_errors_and_crashes_are_sentences(caplog: pytest.LogCaptureFixture) -> None:
    gone = await sample.run(None, '{"window_id": "gone"}')  # type: ignore[arg-type]
    assert gone.error == "That time was just taken."
    boom = await sample.run(None, '{"window_id": "boom"}')  # type: ignore[arg-type]
    assert boom.error == GENERIC_FAILURE
    assert "internal detail" not in boom.for_model()
    assert "tool sample failed" in caplog.text


def test_decorator_rejects_undocumented_or_sync_tools() -> None:
    with pytest.raises(TypeError, match="document argument 'x'"):

        @tool
        async def undocumented(ctx: Any, x: int) -> str:
            """No args section."""
            return ""

    with pytest.raises(TypeError, match="async"):
        tool(lambda ctx: "x")  # type: ignore[arg-type, return-value]


def test_docstring_parser() -> None:
    summary, args = parse_docstring(
        "Do it.\n\nArgs:\n    a (int): First.\n    b: Second\n        line.\nReturns:\n    x"
    )
    assert summary == "Do it."
    assert args == {"a": "First.", "b": "Second line."}


def test_every_tool_has_a_description_and_no_identity_arguments() -> None:
    registry = default_registry()
    assert set(registry.names) == set(INTAKE_TOOLS) | set(ACCOUNT_TOOLS)
    for t in ALL_TOOLS:
        schema = t.schema
        assert schema.description, t.name
        assert not {"customer_id", "caller", "phone"} & set(schema.parameters["properties"]), t.name


def test_policy_offers_account_tools_only_once_verified() -> None:
    session = Session(caller="+15551230001")
    assert stage_for(session).name == "intake"
    assert not set(ACCOUNT_TOOLS) & set(tools_for(session))
    session.verified = True
    assert set(ACCOUNT_TOOLS) <= set(tools_for(session))
    session.awaiting_message = True
    assert tools_for(session) == ("identify_caller", "take_message", "end_call", "set_language")
    session.ended = True
    assert tools_for(session) == ()

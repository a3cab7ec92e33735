"""The engine runs whatever `Toolbox` it is handed (it never imports `voice_agent.tools`)."""

from __future__ import annotations

from collections.abc import Iterable

from tests.engine.conftest import EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, say, talk, tool_results
from voice_agent.engine.messages import ToolSchema
from voice_agent.engine.toolbox import ToolContext, ToolOutcome
from voice_agent.storage.base import NewConversation

NAME = "record_problem"  # offered at the start of a conversation (`tools_for`)


class OneTool:
    """A toolbox holding one tool that records the context it was handed."""

    writes = False

    def __init__(self) -> None:
        self.contexts: list[ToolContext] = []

    def get(self, name: str) -> OneTool | None:
        return self if name == NAME else None

    def schemas(self, names: Iterable[str] | None = None) -> list[ToolSchema]:
        offered = ToolSchema(NAME, "Test tool.", {"type": "object", "properties": {}})
        return [offered] if names is None or NAME in set(names) else []

    async def run(self, ctx: ToolContext, raw_arguments: str) -> ToolOutcome:
        self.contexts.append(ctx)
        return ToolOutcome(NAME, {"raw": raw_arguments}, {"noted": True}, None, 1.5)


async def test_the_engine_offers_and_runs_the_toolbox_it_is_handed(
    make_engine: EngineFactory,
) -> None:
    toolbox = OneTool()
    model = ScriptedChatModel(call(NAME, {"problem": "no heat"}), say("Noted."))
    engine = make_engine(model, tools=toolbox)
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-toolbox", caller="+15551230001")
    )
    reply, events = await talk(engine, started.conversation.id, "my furnace is out")

    assert reply == "Noted."
    assert model.requests[0][1] == [NAME]  # the schemas came from the toolbox
    finished = tool_results(events)[NAME]
    assert (finished.result, finished.error, finished.duration_ms) == ({"noted": True}, None, 1.5)
    [ctx] = toolbox.contexts
    assert ctx.conversation.id == started.conversation.id
    assert ctx.operations.conversation_id == started.conversation.id

"""SMS through the real dialogue engine (guided intake, no LLM) on the sandbox."""

from __future__ import annotations

from pathlib import Path

from voice_agent.messaging.agent import EngineSmsAgent
from voice_agent.services import build_services

from .helpers import all_messages
from .test_e2e_estimates import a_customer
from .world import world


class LateAgent:
    """Binds `EngineSmsAgent` once the rig's store and HCP client exist."""

    def __init__(self) -> None:
        self.inner: EngineSmsAgent | None = None

    async def start(self, **kwargs: str | None) -> str:
        assert self.inner is not None
        return await self.inner.start(**kwargs)  # type: ignore[arg-type]

    async def reply(self, conversation_id: str, text: str, **kwargs: object) -> str:
        assert self.inner is not None
        return await self.inner.reply(conversation_id, text, **kwargs)  # type: ignore[arg-type]


async def test_texts_are_answered_by_the_engine_in_one_sms_conversation(tmp_path: Path) -> None:
    agent = LateAgent()
    async with world(tmp_path, agent=agent) as w:  # type: ignore[arg-type]
        services = build_services(w.settings, w.store, hcp_client=w.hcp)
        agent.inner = EngineSmsAgent(services.engine, w.store)
        _, phone = await a_customer(w)

        await w.text(phone, "Hi, what do I owe you?")
        await w.settle()
        await w.text(phone, "thanks")
        await w.settle()

        first, second = w.texts_to(phone)
        assert first.strip() and second.strip()
        (conversation,) = await w.store.list_conversations(channel="sms")
        assert conversation.caller == phone
        turns = await w.store.list_turns(conversation.id)
        callers = [t.text for t in turns if t.role == "caller"]
        assert callers == ["Hi, what do I owe you?", "thanks"]
        agent_turns = [t.text for t in turns if t.role == "agent" and t.seq > 0]
        assert agent_turns == [first.removesuffix(" Reply STOP to opt out."), second]
        assert first.endswith("Reply STOP to opt out.")
        replies = [m for m in await all_messages(w.store) if m.direction == "out"]
        assert {m.conversation_id for m in replies} == {conversation.id}

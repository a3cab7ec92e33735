"""The dialogue engine behind the `SmsAgent` seam the SMS channel uses."""

from __future__ import annotations

from datetime import datetime

from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.events import Transfer, collect
from voice_agent.outbox import NotifyOffice, Outbox
from voice_agent.storage.base import NewConversation, Store

CALL_BACK_LINE = "Someone from our team will call you shortly."


class EngineSmsAgent:
    """`SmsAgent` over `DialogueEngine`: SMS conversations use the engine as calls do.

    A transfer cannot be dialled over SMS, so it becomes an office call-back request.
    """

    def __init__(self, engine: DialogueEngine, store: Store) -> None:
        self._engine = engine
        self._store = store

    async def start(self, *, caller: str, business_number: str | None, external_id: str) -> str:
        """Open the SMS conversation for this thread (idempotent per `external_id`)."""
        started = await self._engine.start(
            NewConversation(
                channel="sms",
                external_id=external_id,
                caller=caller,
                business_number=business_number,
            )
        )
        return started.conversation.id

    async def reply(self, conversation_id: str, text: str, *, turn_key: str, now: datetime) -> str:
        """Run one turn; a repeated `turn_key` replays the stored reply."""
        reply, events = await collect(
            self._engine.respond(conversation_id, text, turn_key=turn_key)
        )
        transfer = next((e for e in events if isinstance(e, Transfer)), None)
        if transfer is not None:
            await Outbox(self._store).put(
                NotifyOffice(
                    text=f"SMS customer asks for a call back ({transfer.reason})",
                    conversation_id=conversation_id,
                ),
                idempotency_key=f"sms-transfer:{turn_key}",
                due_at=now,
            )
            reply = f"{reply} {CALL_BACK_LINE}".strip()
        return reply

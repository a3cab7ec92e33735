"""`OpenAIChatModel`: the `ChatModel` backed by any OpenAI-compatible Chat Completions server.

This is the only module of the project that imports `openai`. Every request streams
(`stream=True` with usage in the last chunk) so a channel can start speaking early through the
`on_text` hook; tool-call fragments are assembled by their `index`. Any failure — HTTP status,
connection, timeout, a malformed body — becomes one `ChatModelError` with a short reason, and
the engine falls back to guided intake.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk

from voice_agent.engine.messages import (
    ChatMessage,
    ChatModelError,
    Completion,
    ToolCall,
    ToolSchema,
    Usage,
)
from voice_agent.errors import ConfigError

if TYPE_CHECKING:
    from voice_agent.settings import Settings

log = logging.getLogger(__name__)

TextHook = Callable[[str], Awaitable[None]]
"""Called with each text delta as it streams in (e.g. to start text-to-speech early)."""

DEFAULT_MAX_RETRIES = 0
"""Inside a live call a retry costs more than falling back to guided intake."""

DEFAULT_MAX_COMPLETION_TOKENS = 300
"""Phone replies are one or two sentences; a cap bounds the worst-case latency and cost."""

UNANSWERED_TOOL_CALL = "error: this tool call was not carried out"


class OpenAIChatModel:
    """A `ChatModel` talking to an OpenAI-compatible server over Chat Completions.

    Args:
        api_key: The API key (any non-empty string for local servers).
        model: Model name sent with every request.
        base_url: Server root ending in `/v1`; `None` means api.openai.com.
        timeout: Default per-request timeout in seconds (each `complete` call passes its own).
        max_retries: SDK retries per request; keep 0 or 1 inside a live call.
        max_completion_tokens: Cap on the reply length; `None` sends no cap.
        on_text: Default hook receiving streamed text deltas.
        client: A ready `AsyncOpenAI` client (the other connection arguments are then ignored).
    """

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 8.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_completion_tokens: int | None = DEFAULT_MAX_COMPLETION_TOKENS,
        on_text: TextHook | None = None,
        client: AsyncOpenAI | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.model = model
        self.max_completion_tokens = max_completion_tokens
        self.on_text = on_text
        self._client = client or AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, on_text: TextHook | None = None
    ) -> OpenAIChatModel:
        """Build the model from the `OPENAI_*` settings (key, base URL, model, timeout).

        Raises:
            ConfigError: `OPENAI_API_KEY` is not set.
        """
        if settings.openai_api_key is None:
            raise ConfigError("setting OPENAI_API_KEY: required for the OpenAI model")
        return cls(
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.openai_model,
            base_url=str(settings.openai_base_url) if settings.openai_base_url else None,
            timeout=settings.openai_timeout,
            on_text=on_text,
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSchema],
        *,
        timeout: float,
        on_text: TextHook | None = None,
    ) -> Completion:
        """Stream the next assistant message; see `ChatModel.complete`.

        Args:
            messages: The conversation so far.
            tools: The tools the model may call.
            timeout: Overall deadline in seconds for this request, stream included.
            on_text: Hook for text deltas, overriding the one given to the constructor.

        Raises:
            ChatModelError: Any HTTP, connection, timeout or parsing failure, or an empty
                answer. An exception raised by `on_text` itself propagates unchanged.
        """
        hook = on_text or self.on_text
        request: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            request["tools"] = [to_openai_tool(tool) for tool in tools]
        if self.max_completion_tokens is not None:
            request["max_completion_tokens"] = self.max_completion_tokens
        try:
            async with asyncio.timeout(timeout):
                return await self._stream(request, timeout, hook)
        except _HookError as failed:
            raise failed.original from None
        except TimeoutError:
            raise ChatModelError(f"model timed out after {timeout:g}s") from None
        except openai.APITimeoutError:
            raise ChatModelError(f"model timed out after {timeout:g}s") from None
        except openai.APIStatusError as exc:
            raise ChatModelError(f"model server answered HTTP {exc.status_code}") from exc
        except openai.APIConnectionError as exc:
            raise ChatModelError("cannot reach the model server") from exc
        except (openai.OpenAIError, ValueError, TypeError, AttributeError, KeyError) as exc:
            log.warning("model response unusable: %s", type(exc).__name__, exc_info=True)
            raise ChatModelError(f"malformed model response ({type(exc).__name__})") from exc

    async def _stream(
        self, request: dict[str, Any], timeout: float, hook: TextHook | None
    ) -> Completion:
        stream = await self._client.chat.completions.create(**request, timeout=timeout)
        acc = _Accumulator()
        async with stream:
            async for chunk in stream:
                text = acc.add(chunk)
                if text and hook is not None:
                    try:
                        await hook(text)
                    except Exception as exc:
                        raise _HookError(exc) from exc
        return acc.result()


class _HookError(Exception):
    """Carries an `on_text` failure past the model-error handling."""

    def __init__(self, original: Exception) -> None:
        super().__init__(str(original))
        self.original = original


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Accumulator:
    """Folds streamed chunks into one `Completion`."""

    text: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    model: str = ""

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Take one chunk; return its text delta ('' if none)."""
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.usage = Usage(
                prompt_tokens=chunk.usage.prompt_tokens or 0,
                completion_tokens=chunk.usage.completion_tokens or 0,
            )
        if not chunk.choices:
            return ""
        delta = chunk.choices[0].delta
        for piece in delta.tool_calls or ():
            call = self.calls.setdefault(piece.index, _PartialCall())
            call.id = piece.id or call.id
            if piece.function is not None:
                call.name = piece.function.name or call.name
                if piece.function.arguments:
                    call.arguments.append(piece.function.arguments)
        text = delta.content or ""
        if text:
            self.text.append(text)
        elif delta.refusal:
            self.refusal.append(delta.refusal)
        return text

    def result(self) -> Completion:
        """The assembled completion.

        Raises:
            ChatModelError: A tool call arrived without a name, or the answer is empty.
        """
        calls = []
        for index in sorted(self.calls):
            call = self.calls[index]
            if not call.name:
                raise ChatModelError("malformed model response (tool call without a name)")
            calls.append(
                ToolCall(
                    id=call.id or f"call_{index}", name=call.name, arguments="".join(call.arguments)
                )
            )
        text = "".join(self.text) or "".join(self.refusal)
        if not text.strip() and not calls:
            raise ChatModelError("model returned an empty answer")
        return Completion(
            content=text or None, tool_calls=tuple(calls), usage=self.usage, model=self.model
        )


def to_openai_tool(tool: ToolSchema) -> dict[str, Any]:
    """A `ToolSchema` in the Chat Completions `tools` format."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Convert the history to Chat Completions messages, repairing tool-call pairing.

    The API rejects a request in which an assistant tool call is not answered by a `tool`
    message before the next turn, or a `tool` message answers no call. An unanswered call gets
    a synthetic error answer and an orphan answer is dropped, each with a warning, so one
    engine slip costs a log line instead of the call.
    """
    out: list[dict[str, Any]] = []
    pending: list[str] = []  # call ids of the latest assistant message not yet answered

    def close_pending() -> None:
        for call_id in pending:
            log.warning("tool call %s had no answer; sending an error result", call_id)
            out.append({"role": "tool", "tool_call_id": call_id, "content": UNANSWERED_TOOL_CALL})
        pending.clear()

    for message in messages:
        if message.role == "tool":
            if message.tool_call_id in pending:
                pending.remove(message.tool_call_id)
                out.append(
                    {
                        "role": "tool",
                        "tool_call_id": message.tool_call_id,
                        "content": message.content or "",
                    }
                )
            else:
                log.warning("dropping a tool result that answers no pending call")
            continue
        close_pending()
        if message.role == "assistant":
            item: dict[str, Any] = {"role": "assistant", "content": message.content}
            if message.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments},
                    }
                    for call in message.tool_calls
                ]
                pending.extend(call.id for call in message.tool_calls)
            elif message.content is None:
                item["content"] = ""
            out.append(item)
        else:
            out.append({"role": message.role, "content": message.content or ""})
    close_pending()
    return out

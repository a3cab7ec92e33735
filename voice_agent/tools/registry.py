"""The tool registry: `@tool` turns a typed async function into a schema the model can call.

A tool is `async def f(ctx: ToolContext, arg: T, ...) -> str | dict`. Its JSON schema comes from
the signature (a pydantic model built with `create_model`) and its Google-style docstring (the
summary is the model-facing description, the `Args:` section describes each parameter).
Arguments the model produces are validated here: bad JSON, unknown or mistyped arguments become
a `ToolError` sentence for the model, never a crash.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

import hcp
from voice_agent.engine.messages import ToolSchema
from voice_agent.engine.toolbox import ToolContext, ToolOutcome, ToolResult
from voice_agent.operations.errors import OperationError

log = logging.getLogger(__name__)

ToolFunc = Callable[..., Awaitable[ToolResult]]
GENERIC_FAILURE = "That didn't work on our side. Offer to take a message for the office."
HCP_BUSY = (
    "Our scheduling system is busy right now. Say exactly that, take the caller's details "
    "with take_message, and tell them the office will confirm by text."
)


class ToolError(OperationError):
    """A short sentence the model should read and act on (slot gone, not verified, ...)."""


@dataclass(frozen=True)
class Tool:
    """One callable tool: its function, argument model and schema."""

    name: str
    description: str
    fn: ToolFunc
    arguments_model: type[BaseModel]
    writes: bool = False  # side effects: the engine runs these one at a time per conversation

    @cached_property
    def schema(self) -> ToolSchema:
        """The schema offered to the model (built once)."""
        params = _clean_schema(self.arguments_model.model_json_schema())
        return ToolSchema(name=self.name, description=self.description, parameters=params)

    def parse(self, raw: str) -> dict[str, Any]:
        """Validate the model's raw JSON arguments.

        Raises:
            ToolError: The arguments are not a JSON object or do not fit the signature.
        """
        try:
            data = json.loads(raw) if raw and raw.strip() else {}
        except json.JSONDecodeError:
            raise ToolError(f"The arguments for {self.name} were not valid JSON.") from None
        if not isinstance(data, dict):
            raise ToolError(f"The arguments for {self.name} must be a JSON object.")
        try:
            model = self.arguments_model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
                for err in exc.errors()[:3]
            )
            raise ToolError(f"Wrong arguments for {self.name} ({problems}).") from None
        return model.model_dump()

    async def run(self, ctx: ToolContext, raw_arguments: str) -> ToolOutcome:
        """Validate, call and time the tool; every failure becomes an error sentence."""
        started = time.perf_counter()
        arguments: dict[str, Any] = {}
        result: ToolResult | None = None
        error: str | None = None
        try:
            arguments = self.parse(raw_arguments)
            result = await self.fn(ctx, **arguments)
        except OperationError as exc:  # ToolError and the domain layer's sentences
            error = str(exc)
        except hcp.HcpRateLimitError:  # a read HCP throttled (writes are queued by the journal)
            log.warning("tool %s: HCP is rate limiting", self.name)
            error = HCP_BUSY
        except Exception:
            log.exception("tool %s failed", self.name)
            error = GENERIC_FAILURE
        duration = (time.perf_counter() - started) * 1000
        return ToolOutcome(self.name, arguments, result, error, duration)


def tool(fn: ToolFunc) -> Tool:
    """Make a `Tool` from `async def f(ctx: ToolContext, ...)`; see the module docstring."""
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"tool {fn.__name__} must be an async function")
    summary, arg_docs = parse_docstring(inspect.getdoc(fn) or "")
    hints = get_type_hints(fn)
    params = list(inspect.signature(fn).parameters.values())
    if not params or params[0].name != "ctx":
        raise TypeError(f"tool {fn.__name__} must take `ctx: ToolContext` first")
    fields: dict[str, Any] = {}
    for param in params[1:]:
        if param.name not in arg_docs:
            raise TypeError(f"tool {fn.__name__}: document argument {param.name!r} in Args:")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (
            hints[param.name],
            Field(default=default, description=arg_docs[param.name]),
        )
    model = create_model(
        f"{fn.__name__}_arguments", __config__=ConfigDict(extra="forbid"), **fields
    )
    return Tool(name=fn.__name__, description=summary, fn=fn, arguments_model=model)


def writes(t: Tool) -> Tool:
    """Mark a tool as side-effecting (stack it above `@tool`)."""
    return replace(t, writes=True)


class ToolRegistry:
    """The tools by name."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = {t.name: t for t in tools}

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def get(self, name: str) -> Tool | None:
        """The tool called `name`, if any."""
        return self._tools.get(name)

    @property
    def names(self) -> list[str]:
        """All tool names."""
        return list(self._tools)

    def schemas(self, names: Iterable[str] | None = None) -> list[ToolSchema]:
        """Schemas of the named tools (all when `names` is None), in registry order."""
        wanted = set(self._tools if names is None else names)
        return [t.schema for n, t in self._tools.items() if n in wanted]


_SECTION = re.compile(r"^(Args|Arguments|Returns|Raises|Yields|Examples?|Notes?):\s*$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into (description, {argument: description})."""
    lines = doc.strip().splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in lines:
        header = _SECTION.match(line.strip())
        if header and not line.startswith(" "):
            section, current = header.group(1), None
            continue
        if section is None:
            summary.append(line.strip())
        elif section in ("Args", "Arguments") and line.strip():
            match = re.match(r"^\s{2,}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
            if match and len(line) - len(line.lstrip()) <= 4:
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current is not None:
                args[current] = f"{args[current]} {line.strip()}"
    return " ".join(s for s in summary if s).strip(), args


def _clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    schema = {k: v for k, v in schema.items() if k != "title"}
    props = schema.get("properties", {})
    schema["properties"] = {
        name: {k: v for k, v in prop.items() if k != "title"} for name, prop in props.items()
    }
    schema.setdefault("required", [])
    return schema

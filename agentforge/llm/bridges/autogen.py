"""agentforge as an AutoGen `ChatCompletionClient` (autogen-core 0.7), for AssistantAgent and group chats.

    client = AgentforgeChatCompletionClient(engine.model, engine=engine, module="app.py::draft_reply")
    result = await client.create([SystemMessage(content="Be brief."), UserMessage(content="hi", source="user")])

`json_output=SomeModel` asks for that pydantic model's JSON schema, which the local back end and vLLM decode
under constraint. Tool calls and images are not supported by agentforge models: asking for them is an error,
and `model_info` says so, so AutoGen agents do not offer tools to it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from agentforge.errors import ModelError
from agentforge.llm.base import Message, Model
from agentforge.llm.bridges._common import answer, to_message

try:
    from autogen_core import CancellationToken
    from autogen_core.models import (
        AssistantMessage,
        ChatCompletionClient,
        CreateResult,
        LLMMessage,
        ModelInfo,
        RequestUsage,
        SystemMessage,
        UserMessage,
    )
    from autogen_core.tools import Tool, ToolSchema
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("the AutoGen bridge needs autogen-core: pip install 'agentforge[autogen]'") from exc


def _convert(message: LLMMessage) -> Message:
    if isinstance(message, SystemMessage):
        return to_message("system", message.content)
    if isinstance(message, UserMessage | AssistantMessage) and isinstance(message.content, str):
        return to_message("user" if isinstance(message, UserMessage) else "assistant", message.content)
    if isinstance(message, UserMessage) and all(isinstance(part, str) for part in message.content):
        return to_message("user", "\n".join(str(part) for part in message.content))
    raise ModelError(f"agentforge models take text only; a {type(message).__name__} with this content cannot be sent")


class AgentforgeChatCompletionClient(ChatCompletionClient):
    """An AutoGen model client answered by an agentforge `Model`, optionally through a module's route."""

    def __init__(
        self,
        model: Model,
        *,
        engine: Any = None,
        module: str | None = None,
        adapter: str | None = None,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        context_tokens: int = 8192,
    ) -> None:
        self._model = model
        self._engine = engine
        self._module = module
        self._adapter = adapter
        self._max_new_tokens = max_new_tokens
        self._temperature = temperature
        self._context_tokens = context_tokens
        self._last = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._total = RequestUsage(prompt_tokens=0, completion_tokens=0)

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        if tools:
            raise ModelError("agentforge models do not call tools; give this agent no tools")
        schema = json_output.model_json_schema() if isinstance(json_output, type) else None
        response = await answer(
            self._model,
            [_convert(m) for m in messages],
            adapter=self._adapter,
            engine=self._engine,
            module=self._module,
            request_id=extra_create_args.get("request_id"),
            max_new_tokens=int(extra_create_args.get("max_new_tokens", self._max_new_tokens)),
            temperature=float(extra_create_args.get("temperature", self._temperature)),
            json_schema=schema,
        )
        self._last = RequestUsage(prompt_tokens=response.prompt_tokens, completion_tokens=response.completion_tokens)
        self._total = RequestUsage(
            prompt_tokens=self._total.prompt_tokens + response.prompt_tokens,
            completion_tokens=self._total.completion_tokens + response.completion_tokens,
        )
        return CreateResult(finish_reason="stop", content=response.text, usage=self._last, cached=False)

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """The whole answer as one chunk, then the result (agentforge back ends answer in one piece)."""
        result = await self.create(messages, tools=tools, json_output=json_output, extra_create_args=extra_create_args)
        assert isinstance(result.content, str)
        yield result.content
        yield result

    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return self._last

    def total_usage(self) -> RequestUsage:
        return self._total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        text = "\n".join(m.content for m in map(_convert, messages))
        tokenizer = getattr(self._model, "tokenizer", None)
        if tokenizer is not None:
            return len(tokenizer(text, add_special_tokens=False)["input_ids"])
        return max(1, len(text) // 4)  # the usual ~4 characters per token when the tokenizer is remote

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []) -> int:
        return max(0, self._context_tokens - self.count_tokens(messages, tools=tools))

    @property
    def capabilities(self) -> Any:
        return self.model_info

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(
            vision=False, function_calling=False, json_output=True, family="unknown", structured_output=True
        )

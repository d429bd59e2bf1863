"""agentforge as a LangChain chat model, so LangGraph nodes and any LangChain code can use the router.

    chat = AgentforgeChatModel(model=engine.model, engine=engine, module="app.py::draft_reply")
    chat.invoke([("system", "Be brief."), ("human", "My card is lost")])

With `engine` and `module`, each call follows the module's route (its promoted adapter, a sticky canary by
`request_id`, the fallback chain); without them, `adapter` (or the base model) answers directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from pydantic import ConfigDict

from agentforge.llm.bridges._common import answer, to_message

try:
    from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
except ImportError as exc:  # pragma: no cover - langchain-core comes with langgraph
    raise ImportError("the LangChain bridge needs langchain-core: pip install langchain-core") from exc

_ROLE_OF = {"human": "user", "ai": "assistant", "system": "system"}


class AgentforgeChatModel(BaseChatModel):
    """A LangChain chat model answered by an agentforge `Model`, optionally through a module's route."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Any
    """The agentforge back end (`agentforge.llm.Model`)."""
    engine: Any = None
    """An `agentforge.runtime.Engine` whose routes to follow (with `module`)."""
    module: str | None = None
    adapter: str | None = None
    request_id: str | None = None
    max_new_tokens: int = 256
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "agentforge"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model.name, "module": self.module, "adapter": self.adapter}

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        converted = [to_message(_ROLE_OF.get(m.type, m.type), m.text) for m in messages]
        response = await answer(
            self.model,
            converted,
            adapter=self.adapter,
            engine=self.engine,
            module=self.module,
            request_id=kwargs.get("request_id", self.request_id),
            max_new_tokens=kwargs.get("max_new_tokens", self.max_new_tokens),
            temperature=kwargs.get("temperature", self.temperature),
        )
        text = response.text
        for marker in stop or []:
            if marker in text:
                text = text[: text.index(marker)]
        usage = {
            "input_tokens": response.prompt_tokens,
            "output_tokens": response.completion_tokens,
            "total_tokens": response.prompt_tokens + response.completion_tokens,
        }
        metadata = {"model_name": response.model, "adapter": response.adapter, "latency_ms": response.latency_ms}
        message = AIMessage(content=text, usage_metadata=usage, response_metadata=metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Sync LangChain code gets the async path on a fresh loop (in a worker thread if a loop is running)."""

        def call() -> ChatResult:
            return asyncio.run(self._agenerate(messages, stop, **kwargs))

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return call()
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(call).result()

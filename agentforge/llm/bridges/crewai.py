"""agentforge as a CrewAI LLM (CrewAI 1.x `BaseLLM`), so crews can run on agentforge models and routes.

    llm = AgentforgeCrewLLM(model="agentforge", backend=engine.model, engine=engine, module="app.py::draft_reply")
    Agent(role="Support", goal="...", backstory="...", llm=llm)

CrewAI pins many packages of its own; install it apart (`pip install 'agentforge[crewai]'` in its own
environment, as `scripts/setup_crewai.sh` does). Tool calls are not supported by agentforge models:
`supports_function_calling()` is False, so CrewAI falls back to its text (ReAct) protocol.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentforge.llm.bridges._common import answer, to_message

try:
    from crewai import BaseLLM
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("the CrewAI bridge needs crewai: pip install 'agentforge[crewai]'") from exc


class AgentforgeCrewLLM(BaseLLM):  # type: ignore[misc]
    """A CrewAI LLM answered by an agentforge `Model`, optionally through a module's route."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Any
    """The agentforge back end (`agentforge.llm.Model`)."""
    engine: Any = None
    module: str | None = None
    adapter: str | None = None
    max_new_tokens: int = 256
    context_window: int = 8192
    response_schema: dict[str, Any] | None = None
    """A JSON schema every answer is decoded to (a Task's `output_pydantic`, say), when set."""
    final_answer: bool = False
    """Frame each answer as CrewAI's final answer (`Thought: …` / `Final Answer: …`), for agents without tools:
    agentforge models answer in one piece, so for them the whole answer is the final answer."""
    on_response: Any = None
    """Called with every `ModelResponse`, to count tokens."""

    async def acall(
        self,
        messages: str | list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> str:
        turns = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
        response = await answer(
            self.backend,
            [to_message(str(t["role"]), str(t["content"])) for t in turns],
            adapter=self.adapter,
            engine=self.engine,
            module=self.module,
            request_id=None,
            max_new_tokens=self.max_new_tokens,
            temperature=float(self.temperature or 0.0),
            json_schema=response_model.model_json_schema() if response_model is not None else self.response_schema,
        )
        if self.on_response is not None:
            self.on_response(response)
        if self.final_answer and response_model is None:
            return f"Thought: I now can give a great answer\nFinal Answer: {response.text}"
        return str(self._apply_stop_words(response.text))

    def call(
        self,
        messages: str | list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> str:
        """The sync call CrewAI makes: the async path on a fresh loop (in a worker thread if one is running)."""

        def run() -> str:
            return asyncio.run(self.acall(messages, response_model=response_model))

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return run()
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # CrewAI's per-call stop words ride
            return pool.submit(contextvars.copy_context().run, run).result()  # on a context variable

    def supports_function_calling(self) -> bool:
        return False

    def supports_stop_words(self) -> bool:
        return True

    def get_context_window_size(self) -> int:
        return self.context_window

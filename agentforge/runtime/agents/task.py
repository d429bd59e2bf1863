"""One module call as an agent's task: the rendered contract every framework answers and is checked against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, create_model, model_validator

from agentforge.artifacts import JsonSchema, ModuleSpec
from agentforge.catalog import KindSpec, RoleSpec
from agentforge.errors import OutputValidationError
from agentforge.llm.base import Message, Model, ModelRequest, ModelResponse
from agentforge.runtime.prompts import output_labels, render_target
from agentforge.runtime.validation import parse_output, schema_errors

SHORT_ANSWER_TOKENS = 32
"""Default answer budget of labels and numbers; other kinds get LONG_ANSWER_TOKENS."""
LONG_ANSWER_TOKENS = 256


@dataclass
class ResponseTotals:
    """Token and retry totals over the model calls of one module call."""

    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0

    def add(self, resp: ModelResponse, *, retry: bool) -> None:
        self.count(resp.model, resp.prompt_tokens, resp.completion_tokens, retry=retry)

    def count(self, model: str, prompt_tokens: int, completion_tokens: int, *, retry: bool) -> None:
        self.model = model
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.retries += int(retry)


@dataclass
class AgentTask:
    """What an agent must answer: the module's rendered prompt, its output contract and the model to ask."""

    kind: KindSpec
    role: RoleSpec
    spec: ModuleSpec
    messages: list[Message]
    """System turn, retrieved examples as past turns, then the call (`render_messages`)."""
    model: Model
    adapter: str | None
    max_retries: int
    timeout_s: float
    max_new_tokens: int | None = None
    reviewer: RoleSpec | None = None
    """With a reviewer, a writer → reviewer → reviser team answers (LangGraph only)."""
    review_rounds: int = 1
    totals: ResponseTotals = field(default_factory=ResponseTotals)

    @property
    def labels(self) -> list[str] | None:
        return output_labels(self.spec.output_schema) if self.kind.output == "label" else None

    @property
    def answer_tokens(self) -> int:
        if self.max_new_tokens is not None:
            return self.max_new_tokens
        return SHORT_ANSWER_TOKENS if self.kind.output in ("label", "number") else LONG_ANSWER_TOKENS

    def request(self, messages: list[Message]) -> ModelRequest:
        """The request for one attempt, constrained to the contract where the kind allows it."""
        return ModelRequest(
            messages=messages,
            adapter=self.adapter,
            choices=self.labels,
            json_schema=self.spec.output_schema if self.kind.output == "json" else None,
            max_new_tokens=self.answer_tokens,
        )

    def parse(self, text: str) -> Any:
        """The module output the text stands for; `OutputValidationError` when it breaks the contract."""
        return parse_output(self.kind, self.spec.output_schema, text)

    def check_value(self, value: Any) -> Any:
        """A value a framework produced, checked exactly as model text is (rendered as the kind's answer)."""
        return self.parse(render_target(self.kind, self.spec, value))

    @property
    def system(self) -> str:
        return self.messages[0].content

    def task_text(self) -> str:
        """The call as one message, for frameworks that take a single task: retrieved examples (past turns
        in the chat form) are written out before the call itself."""
        *past, call = self.messages[1:]
        shots = [
            f"{asked.content}\nAnswer: {answer.content}" for asked, answer in zip(past[::2], past[1::2], strict=True)
        ]
        if not shots:
            return call.content
        return "Examples of correct answers:\n\n" + "\n\n".join(shots) + "\n\nNow answer this one.\n" + call.content


async def retry_attempts(task: AgentTask, framework: str, attempt: Callable[[int], Awaitable[Any]]) -> Any:
    """The first value an attempt gives that fits the contract, over `max_retries + 1` attempts (numbered from 0).

    An attempt raises `OutputValidationError` when its framework gave no usable answer; every reason is kept for
    the error raised when no attempt succeeds. Other errors (a timeout, the model failing) end the call."""
    errors: list[str] = []
    for number in range(task.max_retries + 1):
        try:
            return task.check_value(await attempt(number))
        except OutputValidationError as exc:
            errors.append(str(exc))
    raise OutputValidationError(f"{framework}: every attempt failed: {'; '.join(errors)}")


class ContractOutput(BaseModel):
    """Base of a module's output as a pydantic model (`output_model`): one `value` field checked against the
    module's JSON schema, with that schema as the model's JSON schema so frameworks decode to it."""

    value: Any
    contract: ClassVar[JsonSchema] = {}

    @model_validator(mode="after")
    def _fits_contract(self) -> ContractOutput:
        errors = schema_errors(self.contract, self.value)
        if errors:
            raise ValueError(f"value does not fit the module's output schema: {errors[0].message}")
        return self

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "title": cls.__name__,
            "type": "object",
            "properties": {"value": cls.contract},
            "required": ["value"],
            "additionalProperties": False,
        }


def output_model(spec: ModuleSpec) -> type[ContractOutput]:
    """The module's output contract as a pydantic model (a CrewAI Task's `output_pydantic`, an AutoGen agent's
    `output_content_type`)."""
    name = "".join(part.capitalize() for part in spec.name.replace(".", "_").split("_") if part) + "Output"
    model = create_model(name, __base__=ContractOutput)
    model.contract = spec.output_schema
    return model

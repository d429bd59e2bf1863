"""A back end for any OpenAI-compatible chat endpoint: vLLM, OpenAI, Together, Fireworks, Groq and the like.

Adapters are addressed as the `model` of a request. On vLLM an adapter is made resident at run time with
`POST /v1/load_lora_adapter` under its agentforge name, which is immutable and versioned (`module@hash`):
a promoted adapter is a new name, never a reload of an old one, so requests in flight keep their weights.

Typed output uses the server's own constrained decoding where it has one: vLLM's `structured_outputs`
(choice / JSON schema), or OpenAI's `response_format: json_schema`; the caller validates either way.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

import httpx

from agentforge.errors import ModelError, ModelUnavailableError
from agentforge.llm.base import ModelRequest, ModelResponse

Flavor = Literal["vllm", "openai"]
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def _label_schema(choices: list[str]) -> dict[str, Any]:
    """OpenAI's structured outputs need an object at the root, so a label travels as `{"label": ...}`."""
    return {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": choices}},
        "required": ["label"],
        "additionalProperties": False,
    }


class OpenAICompatModel:
    """One served base model (`model`) and the adapters the server knows, reached over HTTP."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        flavor: Flavor = "openai",
        timeout_s: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self._base = base if base.endswith("/v1") else base + "/v1"
        self._model = model
        self._flavor = flavor
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout_s
        self._transport = transport
        self._adapters: dict[str, Path] = {}

    @property
    def name(self) -> str:
        return self._model

    @property
    def base_url(self) -> str:
        return self._base

    # --- adapters ------------------------------------------------------------------------------------

    def load_adapter(self, name: str, path: Path) -> None:
        if name in self._adapters:
            return
        if self._flavor != "vllm":
            raise ModelUnavailableError(
                f"{self._base} is a hosted OpenAI-compatible API: it cannot load the local adapter {name!r}; "
                "serve the module from vLLM or the local back end, or route it to a hosted fine-tuned model id"
            )
        body = {"lora_name": name, "lora_path": str(Path(path).resolve())}
        try:
            response = httpx.post(f"{self._base}/load_lora_adapter", json=body, headers=self._headers, timeout=60)
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"vLLM at {self._base} could not be reached to load {name!r}: {exc}") from exc
        if response.status_code >= 400 and "already" not in response.text.lower():
            raise ModelError(
                f"vLLM refused to load adapter {name!r} from {path} ({response.status_code}): {response.text.strip()}"
                " (is the server started with --enable-lora, VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and a"
                " --max-lora-rank at least the adapter's rank?)"
            )
        self._adapters[name] = Path(path)

    def has_adapter(self, name: str) -> bool:
        return name in self._adapters

    # --- requests ------------------------------------------------------------------------------------

    def _body(self, req: ModelRequest) -> dict[str, Any]:
        if req.adapter is not None and req.adapter not in self._adapters:
            raise ModelError(f"adapter {req.adapter!r} is not loaded in model {self._model}")
        body: dict[str, Any] = {
            "model": req.adapter or self._model,
            "messages": [m.model_dump() for m in req.messages],
            "max_tokens": req.max_new_tokens,
            "temperature": req.temperature,
        }
        if req.choices is not None:
            if not req.choices:
                raise ModelError("choices is empty")
            if self._flavor == "vllm":
                body["structured_outputs"] = {"choice": list(dict.fromkeys(req.choices))}
            else:
                schema = _label_schema(list(dict.fromkeys(req.choices)))
                body["response_format"] = {"type": "json_schema", "json_schema": {"name": "label", "schema": schema}}
        elif req.json_schema is not None:
            if self._flavor == "vllm":
                body["structured_outputs"] = {"json": req.json_schema}
            else:
                spec = {"name": "output", "schema": req.json_schema, "strict": False}
                body["response_format"] = {"type": "json_schema", "json_schema": spec}
        return body

    async def request(self, req: ModelRequest) -> ModelResponse:
        body = self._body(req)
        start = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
                response = await client.post(f"{self._base}/chat/completions", json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"{self._base} could not be reached: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            kind = ModelUnavailableError if response.status_code in RETRY_STATUSES else ModelError
            raise kind(f"{self._base} answered {response.status_code}: {response.text.strip()[:500]}")
        try:
            data = response.json()
            text = data["choices"][0]["message"]["content"] or ""
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelError(f"{self._base} gave an answer that is not a chat completion: {exc}") from exc
        if req.choices is not None and self._flavor != "vllm":
            text = self._unwrap_label(text)
        return ModelResponse(
            text=str(text),
            model=self._model,
            adapter=req.adapter,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_ms=(time.perf_counter() - start) * 1000.0,
        )

    @staticmethod
    def _unwrap_label(text: str) -> str:
        try:
            value = json.loads(text)
        except ValueError:
            return text.strip()
        return str(value.get("label", text)) if isinstance(value, dict) else text.strip()

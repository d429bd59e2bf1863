"""A back end for an Ollama server, through its own HTTP API (`/api/chat`, `/api/create`, `/api/blobs`).

Ollama has no per-request adapter: an adapter becomes a model of its own, created from the base model with
`ADAPTER` (the `adapters` field of `/api/create`) under a tag derived from the adapter's immutable name, and a
request for the adapter is a request to that tag. Typed output uses Ollama's `format` (a JSON schema, turned
into a grammar by llama.cpp); the caller validates either way.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx

from agentforge.errors import ModelError, ModelUnavailableError
from agentforge.llm.base import ModelRequest, ModelResponse

ADAPTER_FILES = ("adapter_model.safetensors", "adapter_model.gguf")


def adapter_tag(model: str, adapter: str) -> str:
    """An Ollama model name for `adapter` on `model`: lower-case, `[a-z0-9._-]`, unique per adapter name."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", adapter.lower()).strip("-.")[:48]
    digest = hashlib.sha256(adapter.encode()).hexdigest()[:8]
    return f"{model.split(':', 1)[0]}-{slug}-{digest}:latest"


class OllamaModel:
    """One Ollama base model and the adapter models created from it."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "http://127.0.0.1:11434",
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._model = model
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s
        self._transport = transport
        self._async_transport = async_transport
        self._adapters: dict[str, str] = {}
        """Adapter name → the Ollama tag serving it."""

    @property
    def name(self) -> str:
        return self._model

    def has_adapter(self, name: str) -> bool:
        return name in self._adapters

    def load_adapter(self, name: str, path: Path) -> None:
        if name in self._adapters:
            return
        found = next((Path(path) / f for f in ADAPTER_FILES if (Path(path) / f).is_file()), None)
        if found is None:
            raise ModelError(f"adapter {name!r}: no {' or '.join(ADAPTER_FILES)} in {path}")
        data = found.read_bytes()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        tag = adapter_tag(self._model, name)
        try:
            with httpx.Client(base_url=self._base, timeout=600, transport=self._transport) as client:
                if client.head(f"/api/blobs/{digest}").status_code != 200:
                    self._check(client.post(f"/api/blobs/{digest}", content=data), f"upload adapter {name!r}")
                body = {"model": tag, "from": self._model, "adapters": {found.name: digest}, "stream": False}
                self._check(client.post("/api/create", json=body), f"create a model for adapter {name!r}")
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"Ollama at {self._base} could not be reached: {exc}") from exc
        self._adapters[name] = tag

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            raise ModelError(f"Ollama could not {what} ({response.status_code}): {response.text.strip()[:500]}")

    def _body(self, req: ModelRequest) -> dict[str, Any]:
        if req.adapter is not None and req.adapter not in self._adapters:
            raise ModelError(f"adapter {req.adapter!r} is not loaded in model {self._model}")
        body: dict[str, Any] = {
            "model": self._adapters[req.adapter] if req.adapter else self._model,
            "messages": [m.model_dump() for m in req.messages],
            "stream": False,
            "options": {"temperature": req.temperature, "num_predict": req.max_new_tokens},
        }
        if req.choices is not None:
            if not req.choices:
                raise ModelError("choices is empty")
            body["format"] = {"type": "string", "enum": list(dict.fromkeys(req.choices))}
        elif req.json_schema is not None:
            body["format"] = req.json_schema
        return body

    async def request(self, req: ModelRequest) -> ModelResponse:
        body = self._body(req)
        start = time.perf_counter()
        try:
            async with httpx.AsyncClient(
                base_url=self._base, timeout=self._timeout, transport=self._async_transport
            ) as client:
                response = await client.post("/api/chat", json=body)
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"Ollama at {self._base} could not be reached: {exc}") from exc
        if response.status_code >= 400:
            kind = ModelUnavailableError if response.status_code in (404, 429, 500, 503) else ModelError
            raise kind(f"Ollama answered {response.status_code}: {response.text.strip()[:500]}")
        try:
            data = response.json()
            text = str(data["message"]["content"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"Ollama gave an answer that is not a chat response: {exc}") from exc
        if req.choices is not None:
            text = _unquote(text)
        return ModelResponse(
            text=text,
            model=self._model,
            adapter=req.adapter,
            prompt_tokens=int(data.get("prompt_eval_count") or 0),
            completion_tokens=int(data.get("eval_count") or 0),
            latency_ms=(time.perf_counter() - start) * 1000.0,
        )


def _unquote(text: str) -> str:
    """A label constrained by a string schema comes back as JSON text (`"billing"`)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text.strip()
    return value if isinstance(value, str) else text.strip()

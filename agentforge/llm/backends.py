"""Choose a model back end by configuration alone: the CPU default, vLLM, a hosted API or Ollama.

A `BackendConfig` comes from command-line options or the environment (`AGENTFORGE_BACKEND`,
`AGENTFORGE_BACKEND_URL`, `AGENTFORGE_MODEL`, `AGENTFORGE_BACKEND_KEY_ENV`), so moving a workspace from the
embedded default to a GPU cluster is a change of settings, not of code. API keys are never part of the
configuration itself: it names the environment variable that holds the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, model_validator

from agentforge.config import Paths
from agentforge.errors import ConfigError
from agentforge.llm.base import Model
from agentforge.llm.weights import DEFAULT_MODEL

BackendKind = Literal["local", "vllm", "openai", "ollama"]
DEFAULT_URLS: dict[str, str] = {
    "vllm": "http://127.0.0.1:8000/v1",
    "openai": "https://api.openai.com/v1",
    "ollama": "http://127.0.0.1:11434",
}


class BackendConfig(BaseModel):
    kind: BackendKind = "local"
    model: str = DEFAULT_MODEL
    """The local model (name, Hugging Face id or path), or the served model's name on a server."""
    base_url: str | None = None
    """The server's URL; each remote kind has a default (`DEFAULT_URLS`)."""
    api_key_env: str | None = None
    """The environment variable holding the API key (e.g. `OPENAI_API_KEY`), never the key itself."""

    @model_validator(mode="after")
    def _check(self) -> BackendConfig:
        if self.kind == "local" and self.base_url is not None:
            raise ConfigError("the local back end runs in this process: it takes no base URL")
        return self

    @property
    def url(self) -> str | None:
        return self.base_url or DEFAULT_URLS.get(self.kind)

    def describe(self) -> str:
        return f"{self.kind}:{self.model}" + (f" at {self.url}" if self.url else "")

    @classmethod
    def parse(cls, spec: str) -> BackendConfig:
        """`KIND:MODEL[@URL]`, e.g. `openai:gpt-4o-mini`, `vllm:smollm2-135m-instruct@http://gpu:8000/v1`."""
        kind, sep, rest = spec.partition(":")
        if not sep or not rest:
            raise ConfigError(f"a back end is written KIND:MODEL[@URL], e.g. openai:gpt-4o-mini; got {spec!r}")
        model, _, url = rest.partition("@http")
        try:
            return cls.model_validate({"kind": kind, "model": model, "base_url": ("http" + url) if url else None})
        except ValueError as exc:
            raise ConfigError(f"invalid back end {spec!r}: {exc}") from exc

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: str | None) -> BackendConfig:
        """The environment's settings, with every non-None override (a command-line option) on top."""
        env = os.environ if env is None else env
        values: dict[str, str] = {}
        for field, var in (
            ("kind", "AGENTFORGE_BACKEND"),
            ("base_url", "AGENTFORGE_BACKEND_URL"),
            ("model", "AGENTFORGE_MODEL"),
            ("api_key_env", "AGENTFORGE_BACKEND_KEY_ENV"),
        ):
            if env.get(var):
                values[field] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValueError as exc:
            raise ConfigError(f"invalid back-end settings: {exc}") from exc


def open_backend(config: BackendConfig, paths: Paths) -> Model:
    """The configured back end, ready to answer (the local model is loaded; servers are not called yet)."""
    key = None
    if config.api_key_env:
        key = os.environ.get(config.api_key_env)
        if not key:
            raise ConfigError(f"the API key variable {config.api_key_env} is not set")
    elif config.kind == "openai":
        key = os.environ.get("OPENAI_API_KEY")  # the variable every OpenAI client reads by default
    if config.kind == "local":
        from agentforge.llm.local import LocalModel

        return LocalModel.load(config.model, paths)
    if config.kind == "ollama":
        from agentforge.llm.ollama import OllamaModel

        return OllamaModel(config.model, base_url=config.url or DEFAULT_URLS["ollama"])
    from agentforge.llm.openai_compat import OpenAICompatModel

    url = config.url or DEFAULT_URLS[config.kind]
    return OpenAICompatModel(url, config.model, api_key=key, flavor="vllm" if config.kind == "vllm" else "openai")

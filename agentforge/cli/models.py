"""Open the model a command needs (the first local load converts the default model, ~20 s: a spinner shows it)."""

from __future__ import annotations

from rich.console import Console

from agentforge.config import Paths, default_home
from agentforge.errors import ConfigError
from agentforge.llm.backends import BackendConfig, open_backend
from agentforge.llm.base import Model


def load_model(name: str, console: Console) -> Model:
    """The local transformers back end with `name` (training and evaluation run in-process)."""
    return open_model(console, backend="local", model=name)


def open_model(
    console: Console,
    *,
    backend: str | None = None,
    backend_url: str | None = None,
    model: str | None = None,
    api_key_env: str | None = None,
) -> Model:
    """The back end chosen by the options, else by the environment, else the embedded local default."""
    config = BackendConfig.from_env(kind=backend, base_url=backend_url, model=model, api_key_env=api_key_env)
    with console.status(f"opening {config.describe()} (a first local load converts and caches the model)…"):
        return open_backend(config, Paths(home=default_home()))


def open_fallbacks(console: Console, specs: list[str]) -> dict[str, Model]:
    """The extra back ends routes may fall back on, by kind (`backend:openai` reaches `openai:...`)."""
    found: dict[str, Model] = {}
    for spec in specs:
        config = BackendConfig.parse(spec)
        if config.kind in found:
            raise ConfigError(f"two fallback back ends of kind {config.kind!r}; give one of each kind")
        with console.status(f"opening fallback {config.describe()}…"):
            found[config.kind] = open_backend(config, Paths(home=default_home()))
    return found

"""Load the model a command needs, with a spinner (the first load converts the GGUF, ~20 s)."""

from __future__ import annotations

from rich.console import Console

from agentforge.config import Paths, default_home
from agentforge.llm.base import Model


def load_model(name: str, console: Console) -> Model:
    from agentforge.llm.local import LocalModel

    with console.status(f"loading model {name} (first use converts and caches it)…"):
        return LocalModel.load(name, Paths(home=default_home()))

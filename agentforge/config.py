"""Where agentforge keeps its data. Passed explicitly; no global mutable settings."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict


def default_home() -> Path:
    """`$AGENTFORGE_HOME`, else `~/.cache/agentforge` (model caches, default store, adapters)."""
    env = os.environ.get("AGENTFORGE_HOME")
    return Path(env) if env else Path.home() / ".cache" / "agentforge"


class Paths(BaseModel):
    """The data directory of one agentforge installation or built app."""

    model_config = ConfigDict(frozen=True)

    home: Path

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def adapters(self) -> Path:
        return self.home / "adapters"

    def default_store_url(self) -> str:
        return f"sqlite:///{self.home / 'agentforge.db'}"

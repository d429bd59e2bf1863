"""The adapter card: `adapter_card.json`, written beside a trained adapter's weights.

Its JSON Schema is committed as `adapters/card.schema.json`; after changing `AdapterCard`, regenerate it with
`python -c "from agentforge.learn.card import write_card_schema; write_card_schema()"` (a test compares them).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentforge.artifacts import AdapterVersion, EvalReport, utcnow
from agentforge.learn.dataset import canonical_json
from agentforge.learn.recipe import ADAPTERS_DIR, Recipe

__all__ = [
    "CARD_FILENAME",
    "CARD_SCHEMA_PATH",
    "AdapterCard",
    "adapter_name",
    "card_json_schema",
    "read_card",
    "write_card",
    "write_card_schema",
]

CARD_FILENAME = "adapter_card.json"
CARD_SCHEMA_PATH = ADAPTERS_DIR / "card.schema.json"


class AdapterCard(BaseModel):
    """What an adapter is, what it was trained on, how, and how it scored."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, title="AdapterCard")

    card_version: int = 1
    """Version of this card format."""
    name: str
    """Immutable content-hashed name, `<module-slug>@<hash12>`."""
    module_id: str
    """The module the adapter serves (`path::QualName`)."""
    base_model: str
    """The base model the adapter was trained on (Hugging Face id or path)."""
    recipe: Recipe
    """The training recipe, in full."""
    data_hash: str
    """sha256 of the training items, in training order."""
    train_examples: int = Field(ge=0)
    """Number of training items (after dedupe and the held-out split)."""
    train_seconds: float = Field(ge=0.0)
    """Wall-clock seconds of the whole training run (load, train, save)."""
    train_steps: int = Field(default=0, ge=0)
    """Optimizer steps taken."""
    final_loss: float | None = None
    """Mean completion-token loss over the last epoch."""
    metrics: dict[str, float] = Field(default_factory=dict)
    """Extra named measurements (e.g. held-out scores, seconds per example)."""
    report: EvalReport | None = None
    """The evaluation gate's report, once the adapter has been evaluated."""
    versions: dict[str, str] = Field(default_factory=dict)
    """Library versions used for training (torch, transformers, peft)."""
    created_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def from_adapter(cls, adapter: AdapterVersion, **extra: Any) -> AdapterCard:
        """The card of a stored adapter version; `extra` sets the fields `AdapterVersion` lacks
        (`train_steps`, `final_loss`, `metrics`, `versions`)."""
        return cls(
            name=adapter.name,
            module_id=adapter.module_id,
            base_model=adapter.base_model,
            recipe=Recipe.model_validate(adapter.recipe),
            data_hash=adapter.data_hash,
            train_examples=adapter.train_examples,
            train_seconds=adapter.train_seconds,
            report=adapter.report,
            created_at=adapter.created_at,
            **extra,
        )


def card_json_schema() -> dict[str, Any]:
    """The JSON Schema of `AdapterCard` (what `adapters/card.schema.json` must hold)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **AdapterCard.model_json_schema()}


def adapter_name(module_id: str, *, base_model: str, recipe: Recipe, data_hash: str) -> str:
    """`<module-slug>@<hash12>`, the hash covering base model, recipe and data: retraining on anything
    different gives a new name, and the same inputs give the same name."""
    slug = re.sub(r"[^a-z0-9]+", "-", module_id.lower()).strip("-")[:48].strip("-") or "module"
    payload = canonical_json(
        {"base_model": base_model, "recipe": recipe.model_dump(mode="json"), "data_hash": data_hash}
    )
    return f"{slug}@{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:12]}"


def write_card(adapter_dir: Path, card: AdapterCard) -> Path:
    """Write `adapter_card.json` into `adapter_dir` (atomically); returns its path."""
    path = adapter_dir / CARD_FILENAME
    tmp = adapter_dir / f".{CARD_FILENAME}.{uuid.uuid4().hex}.tmp"
    try:
        tmp.write_text(card.model_dump_json(indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_card(adapter_dir: Path) -> AdapterCard:
    """Read and validate the card of an adapter directory."""
    return AdapterCard.model_validate_json((adapter_dir / CARD_FILENAME).read_text(encoding="utf-8"))


def write_card_schema(path: Path = CARD_SCHEMA_PATH) -> Path:
    """Write `card_json_schema()` to `path` (by default the committed `adapters/card.schema.json`)."""
    path.write_text(json.dumps(card_json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

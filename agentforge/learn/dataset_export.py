"""A module's dataset as files for other trainers: Alpaca JSONL, chat JSONL, DPO JSONL.

Every format carries the module's real prompt (`runtime.prompts.render_messages`, the one serving and
training use) and the target as the model should write it (`render_target`). Examples are deduplicated
per input, the latest feedback winning; the split is the loop's own (`split_examples`), so `heldout`
is exactly what the gate evaluates on and `train` exactly what an adapter is trained on.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentforge.artifacts import Example
from agentforge.catalog import Catalog
from agentforge.errors import NotFoundError
from agentforge.learn.dataset import (
    AlpacaRecord,
    DatasetFormat,
    DatasetSplit,
    TrainItem,
    canonical_json,
    dedupe_counted,
    split_examples,
)
from agentforge.llm.base import Message
from agentforge.runtime.engine import workspace_catalog
from agentforge.runtime.prompts import render_messages, render_target
from agentforge.store import Store

__all__ = ["DatasetFormat", "DatasetSplit", "ExportCounts", "export_dataset"]


class ExportCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    written: int
    """Lines written."""
    examples: int
    """Examples in the chosen split, after deduplication."""
    duplicates: int
    """Examples dropped because a later one had the same input and target."""
    contradictions: int
    """Examples dropped because a later one had the same input and another target (the latest wins)."""


def _module_id(store: Store, workspace_id: str, module_ref: str) -> str:
    specs = store.list_specs(workspace_id)
    found = [s.id for s in specs if s.id == module_ref] or [s.id for s in specs if module_ref == s.name]
    if len(found) != 1:
        problem = "is ambiguous" if found else "is not a module"
        raise NotFoundError(f"{module_ref!r} {problem} in workspace {workspace_id!r}")
    return found[0]


def _turns(messages: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


def _preference_pairs(example: Example) -> list[Any]:
    """Outputs a user rejected for this input: the model's own when it was corrected, and the down-rated."""
    rejected = [example.model_output] if example.model_output is not None else []
    rejected += example.rejected
    target = canonical_json(example.target)
    unique = {canonical_json(r): r for r in rejected if canonical_json(r) != target}
    return list(unique.values())


def export_dataset(
    store: Store,
    workspace_id: str,
    module_ref: str,
    path: Path,
    *,
    fmt: DatasetFormat = DatasetFormat.ALPACA,
    split: DatasetSplit = DatasetSplit.ALL,
    catalog: Catalog | None = None,
) -> ExportCounts:
    """Write the module's examples in `fmt` to `path` (JSONL, atomically) and say what was written and dropped."""
    module_id = _module_id(store, workspace_id, module_ref)
    spec = store.get_spec(workspace_id, module_id)
    plan = store.get_module_plan(workspace_id, module_id)
    catalog = catalog or workspace_catalog(store, workspace_id)
    kind, role = catalog.kind(plan.kind), catalog.role(plan.agent_role)
    found = store.list_examples(workspace_id, module_id)
    kept, counts = dedupe_counted(found)
    train, held = split_examples(kept)
    chosen = {DatasetSplit.TRAIN: train, DatasetSplit.HELDOUT: held, DatasetSplit.ALL: train + held}[split]
    lines: list[dict[str, Any]] = []
    for example in chosen:
        messages = render_messages(kind, role, spec, example.input, tool_calls=example.tool_calls)
        target = render_target(kind, spec, example.target)
        if fmt is DatasetFormat.ALPACA:
            lines.append(AlpacaRecord.from_item(TrainItem(messages=messages, target=target)).model_dump())
        elif fmt is DatasetFormat.CHAT:
            lines.append({"messages": [*_turns(messages), {"role": "assistant", "content": target}]})
        else:
            for rejected in _preference_pairs(example):
                lines.append(
                    {
                        "prompt": _turns(messages),
                        "chosen": [{"role": "assistant", "content": target}],
                        "rejected": [{"role": "assistant", "content": render_target(kind, spec, rejected)}],
                    }
                )
    _write_jsonl(lines, path)
    return ExportCounts(
        written=len(lines),
        examples=len(chosen),
        duplicates=counts.duplicates,
        contradictions=counts.contradictions,
    )


def _write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

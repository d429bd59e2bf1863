"""Training data: stable train/held-out splits, training items, Alpaca export, content hashes.

The split is a pure function of each example's input, so an input never changes sides when more
corrections arrive, when the list is reordered, or when it is seen twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentforge.artifacts import Example
from agentforge.llm.base import Message

__all__ = [
    "AlpacaRecord",
    "DatasetFormat",
    "DatasetSplit",
    "DedupeCounts",
    "TrainItem",
    "canonical_json",
    "data_hash",
    "dedupe_counted",
    "dedupe_examples",
    "export_alpaca",
    "input_key",
    "is_held_out",
    "split_examples",
]


class TrainItem(BaseModel):
    """One supervised chat example: the prompt messages and the assistant text the model should produce."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    messages: list[Message]
    """The prompt, as the module sends it (system + user turns)."""
    target: str
    """The assistant's answer, as text (a label, a JSON document, prose)."""


class AlpacaRecord(BaseModel):
    """One line of an Alpaca-format JSONL file (`instruction`, `input`, `output`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    instruction: str
    input: str = ""
    output: str

    @classmethod
    def from_item(cls, item: TrainItem) -> AlpacaRecord:
        """System messages become the instruction and the other turns the input.

        Without a system message the turns themselves are the instruction and the input is empty.
        """
        system = [m.content for m in item.messages if m.role == "system"]
        turns = [m.content for m in item.messages if m.role != "system"]
        if system:
            return cls(instruction="\n\n".join(system), input="\n\n".join(turns), output=item.target)
        return cls(instruction="\n\n".join(turns), input="", output=item.target)


class DatasetFormat(StrEnum):
    ALPACA = "alpaca"
    """`{"instruction", "input", "output"}`: the system prompt, the user turn, the target."""
    CHAT = "chat"
    """`{"messages": [system, user, assistant]}`, the OpenAI / TRL conversational format."""
    DPO = "dpo"
    """`{"prompt": [system, user], "chosen": [assistant], "rejected": [assistant]}` (TRL's DPO format)."""


class DatasetSplit(StrEnum):
    TRAIN = "train"
    HELDOUT = "heldout"
    ALL = "all"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def input_key(example: Example) -> str:
    """sha256 (hex) of the canonical JSON of the example's input: its identity for splitting and dedupe."""
    return hashlib.sha256(canonical_json(example.input).encode("utf-8")).hexdigest()


def is_held_out(key: str, holdout_fraction: float) -> bool:
    """Whether an input key (from `input_key`) falls in the held-out share; depends on nothing else."""
    return int(key[:16], 16) / float(1 << 64) < holdout_fraction


class DedupeCounts(BaseModel):
    """What `dedupe_counted` dropped."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    duplicates: int = 0
    """Earlier examples of an input with the same target as the one kept."""
    contradictions: int = 0
    """Earlier examples of an input with another target than the one kept (the latest feedback wins)."""


def dedupe_counted(examples: Sequence[Example]) -> tuple[list[Example], DedupeCounts]:
    """One example per distinct input, the latest one (last in the list) winning, and what was dropped.

    The survivors keep the order in which their input first appeared. `Store.list_examples` lists
    examples in the order their feedback was given, so the latest feedback on an input wins.
    """
    latest: dict[str, Example] = {}
    earlier: list[tuple[str, Example]] = []
    for example in examples:
        key = input_key(example)
        if key in latest:
            earlier.append((key, latest[key]))
        latest[key] = example
    counts = DedupeCounts()
    for key, dropped in earlier:
        if canonical_json(dropped.target) == canonical_json(latest[key].target):
            counts.duplicates += 1
        else:
            counts.contradictions += 1
    return list(latest.values()), counts


def dedupe_examples(examples: Sequence[Example]) -> list[Example]:
    """`dedupe_counted` without the counts."""
    return dedupe_counted(examples)[0]


def split_examples(examples: Sequence[Example], holdout_fraction: float = 0.2) -> tuple[list[Example], list[Example]]:
    """Split into `(train, held_out)` after `dedupe_examples`.

    An example is held out when the first 64 bits of its input key, read as a fraction of 2**64, are
    below `holdout_fraction`. The result for one input therefore never depends on the order or number of
    the other examples, and the held-out share is `holdout_fraction` on average (a small set can get an
    empty held-out side; the gate refuses to promote on that).
    """
    if not 0.0 <= holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be in [0, 1), got {holdout_fraction}")
    train: list[Example] = []
    held_out: list[Example] = []
    for example in dedupe_examples(examples):
        (held_out if is_held_out(input_key(example), holdout_fraction) else train).append(example)
    return train, held_out


def data_hash(items: Iterable[BaseModel]) -> str:
    """sha256 (hex) over the items' JSON, in order (the order is part of what a trainer sees)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(canonical_json(item.model_dump(mode="json")).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def export_alpaca(records: Iterable[AlpacaRecord | TrainItem | tuple[str, str, str]], path: Path) -> int:
    """Write Alpaca JSONL (`{"instruction", "input", "output"}` per line) atomically; returns the count.

    Accepts `AlpacaRecord`s, `TrainItem`s (converted with `AlpacaRecord.from_item`) or
    `(instruction, input, output)` tuples.
    """
    lines: list[str] = []
    for record in records:
        if isinstance(record, TrainItem):
            record = AlpacaRecord.from_item(record)
        elif isinstance(record, tuple):
            instruction, input_text, output = record
            record = AlpacaRecord(instruction=instruction, input=input_text, output=output)
        lines.append(json.dumps(record.model_dump(), ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(lines)

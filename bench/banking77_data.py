"""BANKING77 for the benchmarks: the rows, seeded samples of them, and the module `classify_intent` they train.

Shared by `bench/retrieval.py` and `bench/banking77.py` (each puts `bench/` on `sys.path` by being run from it).
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import defaultdict
from pathlib import Path

from agentforge.artifacts import (
    ByteSpan,
    Language,
    Manifest,
    ModulePlan,
    ModuleSpec,
    Plan,
    Policy,
    RouteTaken,
    Rung,
    Trace,
)
from agentforge.runtime import Engine

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "banking77"
MODULE = "bank/intents.py::classify_intent"
SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)

Rows = list[tuple[str, str]]


def read_rows(path: Path) -> Rows:
    with path.open(newline="", encoding="utf-8") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


def read_labels(data: Path) -> list[str]:
    labels = json.loads((data / "categories.json").read_text(encoding="utf-8"))
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise SystemExit(f"{data / 'categories.json'} is not a JSON list of intent names")
    return labels


def per_label(rows: Rows, labels: list[str], n: int, rng: random.Random) -> dict[str, Rows]:
    """Up to `n` rows of each label, in a seeded order (so the first `m < n` are the sample for `m`)."""
    shuffled = list(rows)
    rng.shuffle(shuffled)
    picked: dict[str, Rows] = defaultdict(list)
    for row in shuffled:
        if row[1] in labels and len(picked[row[1]]) < n:
            picked[row[1]].append(row)
    return picked


def pick(data: Path, per_intent: int, intents: int, queries: int, seed: int = 0) -> tuple[list[str], Rows, Rows]:
    """(labels, corrections: the first `per_intent` train rows of each label after a seeded shuffle, queries:
    a seeded sample of the labels' test rows, or all of them when `queries` is 0)."""
    rng = random.Random(seed)
    labels = read_labels(data)
    labels = sorted(rng.sample(labels, intents)) if intents < len(labels) else labels
    by_label = per_label(read_rows(data / "train.csv"), labels, per_intent, rng)
    corrections = [row for label in labels for row in by_label[label]]
    test = [row for row in read_rows(data / "test.csv") if row[1] in labels]
    return labels, corrections, rng.sample(test, queries) if 0 < queries < len(test) else test


def manifest(labels: list[str]) -> Manifest:
    """The app: one module `classify_intent(message: str) -> Intent`, `Intent` an enum of `labels`."""
    spec = ModuleSpec(
        id=MODULE,
        name="classify_intent",
        language=Language.PYTHON,
        path="bank/intents.py",
        span=SPAN,
        body_span=SPAN,
        input_schema={"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
        output_schema={"type": "string", "enum": labels, "title": "Intent"},
        intent="Classify a banking customer's message into its intent",
        static_example=labels[0],
    )
    plan = ModulePlan(module_id=MODULE, kind="classify", agent_role="classifier", policy=Policy(max_retries=0))
    return Manifest(
        app_name="bank", source_root="bank", specs=[spec], plan=Plan(root="bank", base_model="x", modules=[plan])
    )


def store_corrections(engine: Engine, corrections: Rows) -> None:
    """As a user would: one answered call per message, then its correction (validated by the engine)."""
    traces = [
        Trace(module_id=MODULE, input={"message": text}, route=RouteTaken(model="static", rung=Rung.STATIC))
        for text, _ in corrections
    ]
    engine.store.add_traces(traces)
    for trace, (_, label) in zip(traces, corrections, strict=True):
        engine.correct(trace.id, label)


def interval(hits: int, n: int) -> tuple[float, float]:
    """95% Wilson interval of a proportion."""
    if n == 0:
        return 0.0, 0.0
    z, p = 1.96, hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half

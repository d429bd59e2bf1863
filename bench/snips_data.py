"""SNIPS slot filling for the benchmarks: the queries, their slots, the extraction modules they train, and slot F1.

One module per intent, `extract_<intent>(query) -> <Intent>Slots`: an object with one optional string field per
slot the intent's train pool uses. A query's gold is its slot values (the first piece of a slot named twice in
one query, which happens 3 times in 1,500 queries); the other slots are null. Read by `bench/snips.py`.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

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
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "snips_slots"
SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)

Query = tuple[str, dict[str, str]]
"""A query's text and its slot values."""


def intents(data: Path) -> list[str]:
    """The intent folders (each with `train_<I>.json` and `validate_<I>.json`), sorted."""
    found = sorted(p.name for p in data.iterdir() if p.is_dir() and (p / f"train_{p.name}.json").is_file())
    if not found:
        raise SystemExit(f"{data} holds no intent folder with a train_<Intent>.json")
    return found


def read_queries(data: Path, intent: str, part: str) -> list[Query]:
    """`part` is `train` or `validate`."""
    path = data / intent / f"{part}_{intent}.json"
    rows = json.loads(path.read_text(encoding="utf-8"))[intent]
    out: list[Query] = []
    for row in rows:
        pieces = row["data"]
        slots: dict[str, str] = {}
        for piece in pieces:
            if "entity" in piece:
                slots.setdefault(piece["entity"], piece["text"].strip())
        out.append(("".join(p["text"] for p in pieces).strip(), slots))
    return out


def slot_names(train: list[Query]) -> list[str]:
    """The slots the intent's train pool uses, in order of first use: the fields of its output object."""
    return list(dict.fromkeys(name for _, slots in train for name in slots))


def sample(queries: list[Query], n: int, seed: int) -> list[Query]:
    """The first `n` after a seeded shuffle (so the first `m < n` are the sample for `m`); all for 0."""
    shuffled = list(queries)
    random.Random(seed).shuffle(shuffled)
    return shuffled[:n] if n else shuffled


def module_id(intent: str) -> str:
    return f"assistant/slots.py::extract_{_snake(intent)}"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def target(slots: dict[str, str], names: list[str]) -> dict[str, Any]:
    """The full output object for a query: every field, null where the query has no such slot."""
    return {name: slots.get(name) for name in names}


def manifest(fields: dict[str, list[str]]) -> Manifest:
    """The app: one extraction module per intent, its output one optional string field per slot."""
    specs, plans = [], []
    for intent, names in fields.items():
        mid = module_id(intent)
        specs.append(
            ModuleSpec(
                id=mid,
                name=f"extract_{_snake(intent)}",
                language=Language.PYTHON,
                path="assistant/slots.py",
                span=SPAN,
                body_span=SPAN,
                input_schema={"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
                output_schema={
                    "type": "object",
                    "title": f"{intent}Slots",
                    "properties": {name: {"type": ["string", "null"]} for name in names},
                },
                intent=f"Pull the slots of a voice-assistant request to {_words(intent)} out of the query, "
                "each value copied as the query spells it",
                static_example={name: None for name in names},
            )
        )
        plans.append(ModulePlan(module_id=mid, kind="extract", agent_role="extractor", policy=Policy(max_retries=1)))
    plan = Plan(root="assistant", base_model="x", modules=plans)
    return Manifest(app_name="assistant", source_root="assistant", specs=specs, plan=plan)


def _words(intent: str) -> str:
    return _snake(intent).replace("_", " ")


def store_corrections(engine: Engine, intent: str, queries: list[Query], names: list[str]) -> None:
    """As a user would: one answered call per query, then its correction (validated by the engine)."""
    mid = module_id(intent)
    traces = [
        Trace(module_id=mid, input={"query": text}, route=RouteTaken(model="static", rung=Rung.STATIC))
        for text, _ in queries
    ]
    engine.store.add_traces(traces)
    for trace, (_, slots) in zip(traces, queries, strict=True):
        engine.correct(trace.id, target(slots, names))


def _norm(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).casefold().split())
    return text or None


def slot_counts(pred: Any, gold: dict[str, str]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of one answer: a slot is right when its value equals
    the gold's after trimming and case folding; an invented slot is a false positive, a missed or wrong one a
    false negative (a wrong one is both). An answer that is not an object finds nothing."""
    found = {k: _norm(v) for k, v in pred.items()} if isinstance(pred, dict) else {}
    found = {k: v for k, v in found.items() if v is not None}
    wanted = {k: n for k, v in gold.items() if (n := _norm(v)) is not None}
    tp = sum(1 for k, v in found.items() if wanted.get(k) == v)
    return tp, len(found) - tp, len(wanted) - tp


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """(precision, recall, F1); an empty side reads as 1 when the other is empty too."""
    precision = tp / (tp + fp) if tp + fp else float(fn == 0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, (2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)

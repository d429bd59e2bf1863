"""Corrections help at once: BANKING77 intents, the base model alone vs. with retrieved corrections.

1. The nearest-neighbour floor of each retriever alone (the label of the top retrieved correction, no LLM) with
   5, 10 and 30 train examples per intent of all 77 intents, on the whole test split: BM25 always,
   all-MiniLM-L6-v2 when its wheel is installed.
2. `K` train examples per intent of the first `I` intents (a seeded sample; all 77 by default) are stored as
   user corrections of a module `classify_intent(message) -> Intent`; `N` test queries of those intents
   (a seeded sample, never corrected) are answered through the engine by the rungs `base` and
   `base+examples:E` with the default model, and scored by exact match (95% Wilson intervals).

Run: `python bench/retrieval.py [DATASET_DIR] [--per-intent K] [--intents I] [--queries N] [--examples E]`
(DATASET_DIR defaults to ../shared/datasets/banking77). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from agentforge.artifacts import (
    ByteSpan,
    Example,
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
from agentforge.errors import ModelUnavailableError
from agentforge.llm.base import run_sync
from agentforge.llm.local import LocalModel
from agentforge.runtime import Engine
from agentforge.runtime.embeddings import MiniLMRetriever
from agentforge.runtime.retrieval import BM25Retriever, Exclusion, Retriever
from agentforge.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "banking77"
SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)
MODULE = "bank/intents.py::classify_intent"


def read_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


Rows = list[tuple[str, str]]


def pick(data: Path, per_intent: int, intents: int, queries: int, seed: int = 0) -> tuple[list[str], Rows, Rows]:
    """(labels, corrections: the first `per_intent` train rows of each label after a seeded shuffle, queries:
    a seeded sample of the labels' test rows, or all of them when `queries` is 0)."""
    rng = random.Random(seed)
    labels = json.loads((data / "categories.json").read_text())
    labels = sorted(rng.sample(labels, intents)) if intents < len(labels) else labels
    train = read_rows(data / "train.csv")
    rng.shuffle(train)
    by_label: dict[str, Rows] = defaultdict(list)
    for row in train:
        if len(by_label[row[1]]) < per_intent:
            by_label[row[1]].append(row)
    corrections = [row for label in labels for row in by_label[label]]
    test = [row for row in read_rows(data / "test.csv") if row[1] in labels]
    return labels, corrections, rng.sample(test, queries) if 0 < queries < len(test) else test


def manifest(labels: list[str]) -> Manifest:
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


def store_corrections(engine: Engine, corrections: list[tuple[str, str]]) -> None:
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


def nearest_neighbour(retriever: Retriever, corrections: Rows, queries: Rows) -> tuple[float, float]:
    """(accuracy of the top retrieved correction's label, ms per query, index building included)."""
    started = time.perf_counter()
    examples = [
        Example(trace_id=str(i), module_id=MODULE, input={"message": t}, target=label, route=RouteTaken(model="-"))
        for i, (t, label) in enumerate(corrections)
    ]
    if isinstance(retriever, MiniLMRetriever):
        retriever.encoder.encode([t for t, _ in queries])  # one batched pass; searches then hit the cache
    index = retriever.index(examples)
    hits = 0
    for text, label in queries:
        found = index.search({"message": text}, 1)
        hits += bool(found) and found[0].target == label
    return hits / len(queries), (time.perf_counter() - started) * 1000 / len(queries)


def rung_accuracy(engine: Engine, queries: list[tuple[str, str]], target: str) -> dict[str, float]:
    started = time.perf_counter()
    hits = 0
    for i, (text, label) in enumerate(queries):
        trace = run_sync(engine.invoke(MODULE, {"message": text}, target=target, record=False, exclude=Exclusion()))
        hits += trace.output == label
        if (i + 1) % 25 == 0:
            print(f"  {target}: {i + 1}/{len(queries)}, {hits / (i + 1):.3f}", file=sys.stderr, flush=True)
    low, high = interval(hits, len(queries))
    return {
        "accuracy": hits / len(queries),
        "ci_low": low,
        "ci_high": high,
        "ms_per_call": (time.perf_counter() - started) * 1000 / len(queries),
    }


def retrievers() -> dict[str, Retriever]:
    found: dict[str, Retriever] = {"bm25": BM25Retriever()}
    try:
        minilm = MiniLMRetriever()
        _ = minilm.encoder
        found["minilm"] = minilm
    except ModelUnavailableError as exc:
        print(f"minilm: skipped ({exc})", file=sys.stderr)
    return found


def main(args: argparse.Namespace) -> dict[str, Any]:
    available = retrievers()
    figures: dict[str, Any] = {}
    for k in (5, 10, 30):
        _, corrections, queries = pick(args.data, k, 77, 0)
        for name, retriever in available.items():
            accuracy, ms = nearest_neighbour(retriever, corrections, queries)
            figures[f"nn_{name}_k{k}"] = {"accuracy": accuracy, "ms_per_query": ms, "queries": len(queries)}
            print(f"nearest neighbour {name} k={k}: {accuracy:.3f}", file=sys.stderr, flush=True)

    labels, corrections, queries = pick(args.data, args.per_intent, args.intents, args.queries)
    figures.update(intents=len(labels), per_intent=args.per_intent, corrections=len(corrections))
    figures.update(queries=len(queries), retriever=args.retriever, examples=args.examples)
    model = LocalModel.load()
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/bench.db") as store:
        store.save_manifest(manifest(labels))
        engine = Engine(store, model, retriever=available[args.retriever])
        started = time.perf_counter()
        store_corrections(engine, corrections)
        figures["store_corrections_s"] = time.perf_counter() - started
        figures["base"] = rung_accuracy(engine, queries, "base")
        figures["base+examples"] = rung_accuracy(engine, queries, f"base+examples:{args.examples}")
        engine.close()
    base, shown = figures["base"], figures["base+examples"]
    figures["accuracy_ratio_examples_vs_base"] = shown["accuracy"] / max(base["accuracy"], 1e-9)
    figures["latency_ratio_examples_vs_base"] = shown["ms_per_call"] / base["ms_per_call"]
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--per-intent", type=int, default=10, help="corrections per intent")
    parser.add_argument("--intents", type=int, default=77, help="intents the module has (a seeded sample)")
    parser.add_argument("--queries", type=int, default=200, help="test queries answered by each rung (0: all)")
    parser.add_argument("--examples", type=int, default=8, help="retrieved examples in the prompt")
    parser.add_argument("--retriever", choices=["bm25", "minilm"], default="bm25")
    result = main(parser.parse_args())
    for key, value in result.items():
        print(f"{key:36s} {json.dumps(value)}")
    print(json.dumps(result))

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
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from banking77_data import DEFAULT_DATA, MODULE, Rows, interval, manifest, pick, store_corrections

from agentforge.artifacts import Example, RouteTaken
from agentforge.errors import ModelUnavailableError
from agentforge.llm.base import run_sync
from agentforge.llm.local import LocalModel
from agentforge.runtime import Engine
from agentforge.runtime.embeddings import MiniLMRetriever
from agentforge.runtime.retrieval import BM25Retriever, Exclusion, Retriever
from agentforge.store import Store


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

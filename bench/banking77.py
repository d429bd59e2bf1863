"""The learning loop on BANKING77: k user corrections per intent → dataset → queued job → LoRA → gate → promotion.

A module `classify_intent(message) -> Intent` (77 labels). First the generic default model alone; then, for each k
(5, 10, 30 by default, nested: the k = 10 corrections are the k = 5 ones and five more per intent), the train rows
are stored as user corrections, a training job is queued and an in-process `agentforge worker` claims it, trains the
adapter (80% of the corrections; the other 20% are the gate's held-out split), lets the gate compare rungs and
promote, and test queries are answered by every rung: the corrections' own votes (`nearest:1`, `nearest:5`,
`centroid`) and, with the MiniLM retriever, a linear `head` on their embeddings (no model call), retrieved examples
in the prompt (`base+examples:E`), the adapter alone, both. The route starts at `base+examples:E` (corrections help
at once), so the gate measures the adapter against the loop's own simplest rung. The rungs answer a stratified
sample of the test split (`--test-per-intent` queries of every intent; 0: all of it); the route as served after the
gate answers the whole split (`--served-per-intent 0`, the default). Accuracy carries a 95% Wilson interval.

Run: `python bench/banking77.py [DATASET_DIR] [--ks 5,10,30] [--test-per-intent 4] [--served-per-intent 0]
[--examples 8] [--retriever minilm|mpnet|bm25] [--recipe cpu-default] [--epochs 3,2,1]` (DATASET_DIR defaults to
../shared/datasets/banking77; `--epochs` gives each k, in ascending order, its own epoch count).
Ends with one JSON line; `--json-out PATH` writes it to a file as well.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from _cli import loop_parser, run
from banking77_data import DEFAULT_DATA, MODULE, Rows, interval, manifest, per_label, read_labels, read_rows
from banking77_data import store_corrections as add_corrections

from agentforge.artifacts import AdapterStatus, Route
from agentforge.config import Paths
from agentforge.errors import AgentforgeError
from agentforge.learn.recipe import load_recipe
from agentforge.learn.rungs import label_votes
from agentforge.learn.worker import Worker, WorkerConfig
from agentforge.llm.base import run_sync
from agentforge.llm.local import LocalModel
from agentforge.runtime import Engine
from agentforge.runtime.embeddings import RETRIEVER_ENV, retriever_from_env
from agentforge.runtime.retrieval import Exclusion
from agentforge.runtime.targets import champion_target
from agentforge.store import Store
from agentforge.store.queue import JobQueue

WORKSPACE = "default"


def split(
    data: Path, ks: list[int], test_per_intent: int, seed: int, served_per_intent: int = 0
) -> tuple[list[str], dict[str, Rows], Rows, Rows]:
    """(labels, train rows per label (the most any k needs, nested), the stratified test sample the rungs answer,
    the test queries the served route answers (0 per intent: the whole split))."""
    labels = read_labels(data)
    rng = random.Random(seed)
    train = per_label(read_rows(data / "train.csv"), labels, max(ks), rng)
    short = {label: len(rows) for label, rows in train.items() if len(rows) < max(ks)}
    if short:
        raise SystemExit(f"too few train rows for k={max(ks)}: {short}")
    test_rows = read_rows(data / "test.csv")

    def sample(n: int) -> Rows:
        if not n:
            return test_rows
        by_label = per_label(test_rows, labels, n, random.Random(seed + n))
        return [row for label in labels for row in by_label[label]]

    return labels, train, sample(test_per_intent), sample(served_per_intent)


def answer(engine: Engine, queries: Rows, target: str) -> dict[str, Any]:
    """Exact-match accuracy of one rung on the test queries, every correction visible to retrieval.

    A call that fails (a timeout, say) counts as a wrong answer and is reported, so one bad call cannot end a
    run that took an hour to get there."""
    started = time.perf_counter()
    hits = failed = 0
    for i, (text, label) in enumerate(queries):
        try:
            call = engine.invoke(MODULE, {"message": text}, target=target, record=False, exclude=Exclusion())
            hits += run_sync(call).output == label
        except AgentforgeError as exc:
            failed += 1
            print(f"  {target}: query {i} failed: {exc}", file=sys.stderr, flush=True)
        if (i + 1) % 50 == 0 or i + 1 == len(queries):
            print(f"  {target}: {i + 1}/{len(queries)} acc {hits / (i + 1):.3f}", file=sys.stderr, flush=True)
    low, high = interval(hits, len(queries))
    return {
        "accuracy": round(hits / len(queries), 4),
        "ci95": [round(low, 4), round(high, 4)],
        "n": len(queries),
        "failed_calls": failed,
        "s_per_call": round((time.perf_counter() - started) / len(queries), 3),
    }


def train_through_queue(store: Store, model: LocalModel, data: Paths, recipe: str) -> dict[str, Any]:
    """Queue the module's job and let one in-process worker claim and run it; what the job did."""
    queue = JobQueue(store)
    job, _ = queue.enqueue(WORKSPACE, MODULE, recipe=recipe)
    started = time.perf_counter()
    Worker(store, model, data, WorkerConfig(lease_s=300, poll_s=0.1)).run(once=True, max_jobs=1)
    wall = time.perf_counter() - started
    job = store.get_job(WORKSPACE, job.id)
    if job.adapter is None:
        raise SystemExit(f"job {job.id} ended {job.state.value} without an adapter: {job.error}")
    adapter = store.get_adapter(WORKSPACE, job.adapter)
    report = adapter.report
    assert report is not None
    epochs = adapter.recipe.get("num_epochs", 1)
    return {
        "job": job.id,
        "state": job.state.value,
        "adapter": adapter.name,
        "promoted": adapter.status is AdapterStatus.CHAMPION,
        "train_examples": adapter.train_examples,
        "gate_heldout": report.n,
        "train_s": round(adapter.train_seconds, 1),
        "examples_per_s": round(adapter.train_examples * epochs / max(adapter.train_seconds, 1e-9), 2),
        "job_wall_s": round(wall, 1),
        "gate_s": round(wall - adapter.train_seconds, 1),
        "gate_rungs": {t: round(v, 4) for t, v in report.rungs.items()},
        "cross_validated": {t: round(v, 4) for t, v in report.cross_validated.items()},
        "gate_decision": report.reason,
    }


def main(args: argparse.Namespace) -> dict[str, Any]:
    os.environ[RETRIEVER_ENV] = args.retriever  # the worker's engine retrieves as the serving one does
    ks = sorted({int(k) for k in args.ks.split(",")})
    labels, train, queries, served_queries = split(
        args.data, ks, args.test_per_intent, args.seed, args.served_per_intent
    )
    recipe = load_recipe(args.recipe)
    epochs = [int(e) for e in args.epochs.split(",")] if args.epochs else [recipe.num_epochs] * len(ks)
    if len(epochs) != len(ks):
        raise SystemExit(f"--epochs needs one count per k: {len(ks)} ks, {len(epochs)} counts")
    figures: dict[str, Any] = {
        "intents": len(labels),
        "test_queries": len(queries),
        "test_per_intent": args.test_per_intent or "all",
        "served_queries": len(served_queries),
        "examples_in_prompt": args.examples,
        "retriever": args.retriever,
        "recipe": args.recipe,
        "epochs": dict(zip(map(str, ks), epochs, strict=True)),
        "lora_r": recipe.lora_r,
        "cpus": os.cpu_count(),
    }
    started = time.perf_counter()
    model = LocalModel.load()
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/bench.db") as store:
        store.save_manifest(manifest(labels))
        store.set_route(WORKSPACE, MODULE, Route(champion="base", examples=args.examples))
        engine = Engine(store, model, retriever=retriever_from_env(args.retriever))
        votes = label_votes(engine.retriever.embeds)
        figures["votes"] = list(votes)
        figures["base"] = answer(engine, queries, "base")
        have = 0
        for k, k_epochs in zip(ks, epochs, strict=True):
            k_recipe = Path(tmp) / f"recipe-k{k}.yaml"
            k_recipe.write_text(yaml.safe_dump({**recipe.model_dump(mode="json"), "num_epochs": k_epochs}))
            add_corrections(engine, [row for label in labels for row in train[label][have:k]])
            have = k
            print(f"k={k}: {k * len(labels)} corrections; training through the queue", file=sys.stderr, flush=True)
            job = train_through_queue(store, model, Paths(home=Path(tmp)), str(k_recipe))
            route = store.get_route(WORKSPACE, MODULE)
            rungs = {
                **{target: target for target in votes},
                "examples": f"base+examples:{args.examples}",
                "adapter": job["adapter"],
                "adapter+examples": f"{job['adapter']}+examples:{args.examples}",
            }
            result: dict[str, Any] = {"job": job, "served": champion_target(route)}
            for key, target in rungs.items():
                result[key] = answer(engine, queries, target)
            served = next((key for key, target in rungs.items() if target == result["served"]), None)
            if served is None or served_queries != queries:  # another k's rung kept the route, or more queries
                result["served_rung"] = answer(engine, served_queries, result["served"])
                served = "served_rung"
            result["served_accuracy"] = result[served]["accuracy"]
            result["served_ci95"] = result[served]["ci95"]
            figures[f"k{k}"] = result
        engine.close()
    base = figures["base"]["accuracy"]
    for k in ks:
        r = figures[f"k{k}"]
        for rung in (*figures["votes"], "examples", "adapter", "adapter+examples"):
            r[rung]["ratio_vs_base"] = round(r[rung]["accuracy"] / max(base, 1e-9), 2)
        r["adapter+examples_vs_examples"] = round(
            r["adapter+examples"]["accuracy"] / max(r["examples"]["accuracy"], 1e-9), 3
        )
    figures["total_s"] = round(time.perf_counter() - started, 1)
    return figures


def print_table(figures: dict[str, Any]) -> None:
    base = figures["base"]
    print(
        f"BANKING77, rungs on {figures['test_queries']} test queries ({figures['test_per_intent']} per intent), 95% CI"
    )
    print(f"{'':8s} {'rung':18s} {'accuracy':>9s} {'95% CI':>16s} {'s/call':>7s}")
    print(f"{'k=0':8s} {'base':18s} {base['accuracy']:9.1%} {_ci(base):>16s} {base['s_per_call']:7.2f}")
    for key in [k for k in figures if k.startswith("k") and k[1:].isdigit()]:
        r = figures[key]
        for rung in (*figures["votes"], "examples", "adapter", "adapter+examples"):
            f = r[rung]
            print(f"{key:8s} {rung:18s} {f['accuracy']:9.1%} {_ci(f):>16s} {f['s_per_call']:7.2f}")
        j = r["job"]
        print(
            f"{'':8s} trained {j['train_examples']} examples in {j['train_s']:.0f} s ({j['examples_per_s']} ex/s), "
            f"gate {j['gate_s']:.0f} s on {j['gate_heldout']} held out: {j['state']}; serves {r['served']}"
        )
        n = r["served_rung"]["n"] if "served_rung" in r else figures["test_queries"]
        ci = _ci({"ci95": r["served_ci95"]})
        print(f"{'':8s} served {r['served']} on {n} test queries: {r['served_accuracy']:.1%} {ci}")


def _ci(f: dict[str, Any]) -> str:
    return f"[{f['ci95'][0]:.1%}, {f['ci95'][1]:.1%}]"


if __name__ == "__main__":
    parser = loop_parser(__doc__, DEFAULT_DATA, "5,10,30")
    parser.add_argument("--test-per-intent", type=int, default=4, help="test queries per intent (0: all 3,080)")
    parser.add_argument(
        "--served-per-intent", type=int, default=0, help="test queries per intent for the served route (0: all)"
    )
    parser.add_argument("--examples", type=int, default=8, help="retrieved corrections in an +examples prompt")
    run(parser, main, print_table)

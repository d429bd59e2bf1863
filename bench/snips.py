"""The learning loop on SNIPS slot filling: k user corrections per intent → queued jobs → LoRAs → gate → routes.

One module per intent, `extract_<intent>(query) -> <Intent>Slots` (one optional string field per slot;
`snips_data.py`). First the generic default model alone; then, for each k (10 and 70 by default, nested: the
k = 70 corrections include the k = 10 ones), k queries of each intent's train pool are stored as user
corrections, one training job per module is queued and an in-process `agentforge worker` runs them (each: LoRA on
80% of the module's corrections, the gate on the other 20%, promotion), and the validate queries are answered by
every rung: retrieved examples in the prompt (`base+examples:E`), the span tagger trained beside the adapter
(`tagger:NAME`, `runtime/tagger.py`), the adapter alone, both, and the route as served after the gate. The
route starts at `base+examples:E`, so the gate measures each adapter against the loop's own simplest rung.

Slot F1 is micro-averaged per intent (a slot is right when its value equals the gold's after trimming and case
folding; an invented slot counts against precision, a missed one against recall), then averaged over the
intents, as the published figures in the dataset's SOURCE.md are (best service over these five intents: 0.514
at 10 queries, 0.748 at 70).

Run: `python bench/snips.py [DATASET_DIR] [--ks 10,70] [--validate-per-intent 0] [--intents A,B]
[--examples 4] [--retriever minilm|mpnet|bm25] [--recipe cpu-default] [--epochs 3,2]` (DATASET_DIR defaults to
../shared/datasets/snips_slots; `--validate-per-intent 0`: all 100 of each intent). Ends with one JSON line
(`k<k>.served_f1`: the average for the served routes); `--json-out PATH` writes it to a file as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from _cli import loop_parser, run
from snips_data import (
    DEFAULT_DATA,
    Query,
    f1,
    intents,
    manifest,
    module_id,
    read_queries,
    sample,
    slot_counts,
    slot_names,
    store_corrections,
)

from agentforge.artifacts import AdapterStatus, Route
from agentforge.config import Paths
from agentforge.errors import AgentforgeError
from agentforge.learn.recipe import load_recipe
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
RUNGS = ("examples", "tagger", "adapter", "adapter+examples")


def answer(engine: Engine, intent: str, queries: list[Query], target: str) -> dict[str, Any]:
    """Slot precision, recall and F1 of one rung on one intent's queries, every correction visible to retrieval.
    A failed call finds no slot and is counted, so one bad call cannot end a long run."""
    started = time.perf_counter()
    tp = fp = fn = failed = 0
    for text, gold in queries:
        try:
            call = engine.invoke(module_id(intent), {"query": text}, target=target, record=False, exclude=Exclusion())
            output = run_sync(call).output
        except AgentforgeError as exc:
            failed += 1
            output = None
            print(f"  {intent} {target}: failed: {exc}", file=sys.stderr, flush=True)
        counts = slot_counts(output, gold)
        tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
    precision, recall, score = f1(tp, fp, fn)
    print(f"  {intent} {target}: slot F1 {score:.3f} on {len(queries)}", file=sys.stderr, flush=True)
    return {
        "f1": round(score, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "n": len(queries),
        "slots": tp + fn,
        "failed_calls": failed,
        "s_per_call": round((time.perf_counter() - started) / max(len(queries), 1), 3),
    }


def rung_target(rung: str, job: dict[str, Any], examples: int) -> str | None:
    """The target of `rung` for the version `job` trained; None when it has none (a failed job, no tagger)."""
    if rung == "examples":
        return f"base+examples:{examples}"
    adapter = job.get("adapter")
    if adapter is None:
        return None
    if rung == "tagger":
        return f"tagger:{adapter}" if f"tagger:{adapter}" in job.get("gate_rungs", {}) else None
    return adapter if rung == "adapter" else f"{adapter}+examples:{examples}"


def average(per_intent: dict[str, dict[str, Any]]) -> float:
    return round(sum(r["f1"] for r in per_intent.values()) / max(len(per_intent), 1), 4)


def train_all(store: Store, model: LocalModel, data: Paths, recipe: str, names: list[str]) -> dict[str, Any]:
    """Queue one job per module and let one in-process worker run them all; what each job did."""
    queue = JobQueue(store)
    jobs = {intent: queue.enqueue(WORKSPACE, module_id(intent), recipe=recipe)[0] for intent in names}
    started = time.perf_counter()
    Worker(store, model, data, WorkerConfig(lease_s=300, poll_s=0.1)).run(once=True, max_jobs=len(jobs))
    out: dict[str, Any] = {"wall_s": round(time.perf_counter() - started, 1)}
    for intent, queued in jobs.items():
        job = store.get_job(WORKSPACE, queued.id)
        if job.adapter is None:
            out[intent] = {"state": job.state.value, "error": job.error}
            continue
        adapter = store.get_adapter(WORKSPACE, job.adapter)
        report = adapter.report
        epochs = adapter.recipe.get("num_epochs", 1)
        out[intent] = {
            "state": job.state.value,
            "adapter": adapter.name,
            "promoted": adapter.status is AdapterStatus.CHAMPION,
            "train_examples": adapter.train_examples,
            "gate_heldout": report.n if report else 0,
            "train_s": round(adapter.train_seconds, 1),
            "examples_per_s": round(adapter.train_examples * epochs / max(adapter.train_seconds, 1e-9), 2),
            "gate_rungs": {t: round(v, 4) for t, v in (report.rungs if report else {}).items()},
            "gate_decision": report.reason if report else None,
        }
    return out


def main(args: argparse.Namespace) -> dict[str, Any]:
    os.environ[RETRIEVER_ENV] = args.retriever  # the worker's engine retrieves as the serving one does
    ks = sorted({int(k) for k in args.ks.split(",")})
    names = intents(args.data)
    if args.intents:
        wanted = args.intents.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise SystemExit(f"unknown intents {unknown}; the dataset has {names}")
        names = [n for n in names if n in wanted]
    train = {i: sample(read_queries(args.data, i, "train"), max(ks), args.seed) for i in names}
    short = {i: len(q) for i, q in train.items() if len(q) < max(ks)}
    if short:
        raise SystemExit(f"too few train queries for k={max(ks)}: {short}")
    validate = {i: sample(read_queries(args.data, i, "validate"), args.validate_per_intent, args.seed) for i in names}
    fields = {i: slot_names(read_queries(args.data, i, "train")) for i in names}
    recipe = load_recipe(args.recipe)
    epochs = [int(e) for e in args.epochs.split(",")] if args.epochs else [recipe.num_epochs] * len(ks)
    if len(epochs) != len(ks):
        raise SystemExit(f"--epochs needs one count per k: {len(ks)} ks, {len(epochs)} counts")
    figures: dict[str, Any] = {
        "intents": names,
        "slots": fields,
        "validate_queries": {i: len(q) for i, q in validate.items()},
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
        store.save_manifest(manifest(fields))
        for intent in names:
            store.set_route(WORKSPACE, module_id(intent), Route(champion="base", examples=args.examples))
        engine = Engine(store, model, retriever=retriever_from_env(args.retriever))
        base = {i: answer(engine, i, validate[i], "base") for i in names}
        figures["base"] = {"per_intent": base, "f1": average(base)}
        have = 0
        for k, k_epochs in zip(ks, epochs, strict=True):
            k_recipe = Path(tmp) / f"recipe-k{k}.yaml"
            k_recipe.write_text(yaml.safe_dump({**recipe.model_dump(mode="json"), "num_epochs": k_epochs}))
            for intent in names:
                store_corrections(engine, intent, train[intent][have:k], fields[intent])
            have = k
            print(f"k={k}: {k} corrections per intent; training through the queue", file=sys.stderr, flush=True)
            jobs = train_all(store, model, Paths(home=Path(tmp)), str(k_recipe), names)
            result: dict[str, Any] = {"jobs": jobs}
            for rung in RUNGS:
                per_intent = {}
                for intent in names:
                    target = rung_target(rung, jobs[intent], args.examples)
                    if target is not None:  # a job that failed has no adapter, a module without spans no tagger
                        per_intent[intent] = answer(engine, intent, validate[intent], target)
                result[rung] = {"per_intent": per_intent, "f1": average(per_intent)}
            served_targets = {i: champion_target(store.get_route(WORKSPACE, module_id(i))) for i in names}
            served = {i: answer(engine, i, validate[i], t) for i, t in served_targets.items()}
            result["served"] = {"targets": served_targets, "per_intent": served, "f1": average(served)}
            result["served_f1"] = result["served"]["f1"]
            figures[f"k{k}"] = result
        engine.close()
    figures["total_s"] = round(time.perf_counter() - started, 1)
    return figures


def print_table(figures: dict[str, Any]) -> None:
    names = figures["intents"]
    print(f"SNIPS slot F1 on {sum(figures['validate_queries'].values())} validate queries ({len(names)} intents)")
    print(f"{'':6s} {'rung':18s} {'average':>8s} " + " ".join(f"{n[:14]:>14s}" for n in names))
    rows = [("k=0", "base", figures["base"])]
    for key in [k for k in figures if k.startswith("k") and k[1:].isdigit()]:
        rows += [(key, rung, figures[key][rung]) for rung in (*RUNGS, "served")]
    for k, rung, f in rows:
        cells = " ".join(f"{f['per_intent'][n]['f1']:14.3f}" if n in f["per_intent"] else f"{'-':>14s}" for n in names)
        print(f"{k:6s} {rung:18s} {f['f1']:8.3f} {cells}")


if __name__ == "__main__":
    parser = loop_parser(__doc__, DEFAULT_DATA, "10,70")
    parser.add_argument("--validate-per-intent", type=int, default=0, help="validate queries per intent (0: all)")
    parser.add_argument("--intents", help="only these intents, comma-separated (default: every folder)")
    parser.add_argument("--examples", type=int, default=4, help="retrieved corrections in an +examples prompt")
    run(parser, main, print_table)

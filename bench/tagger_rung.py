"""The tagger rung on SNIPS slot filling, by itself: the loop's own tagger training on each module's corrections.

    python bench/tagger_rung.py [DATASET_DIR] [--ks 10,70] [--seed 0]

`bench/snips.py` runs the whole loop (a LoRA on the default model, the tagger, the gate comparing them with the
model's rungs on held-out corrections), and every model rung there costs ~10 s a call on two cores, so a full run
takes hours. This one measures the rung that does not: for each intent and k, the k corrections `bench/snips.py`
would store (same sample, same seed) are split as the loop splits them (`split_examples`: 80 % to train, the rest
held out for the gate), the loop's `train_tagger` trains on the 80 %, and the saved tagger, loaded as the engine
loads it, answers the intent's whole validate split (100 queries). Slot F1 is scored as `bench/snips.py` scores
it, per intent and on average; the published best service over these five intents is the baseline (0.514 at 10,
0.748 at 70, from the dataset's SOURCE.md), and the ratio to it is the figure. The tagger's learning rates were
set by trying three pairs on this dataset's validate split at k = 10 (full rows, before the 80/20 split), so the
held-out twin of this dataset is the test of them. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from snips_data import DEFAULT_DATA, f1, intents, manifest, read_queries, sample, slot_counts, slot_names, target

from agentforge.artifacts import Example, RouteTaken
from agentforge.learn.dataset import split_examples
from agentforge.learn.tagger_training import tagger_rows, train_tagger
from agentforge.runtime.tagger import TAGGER_DIR, Tagger

PUBLISHED_BEST = {10: 0.514, 20: 0.596, 50: 0.714, 70: 0.748}
"""The best service's slot F1 over these five intents (SOURCE.md)."""


def one(data: Path, intent: str, k: int, seed: int, folder: Path) -> dict[str, Any]:
    pool = read_queries(data, intent, "train")
    names = slot_names(pool)
    spec = manifest({intent: names}).specs[0]
    examples = [
        Example(
            trace_id=str(i),
            module_id=spec.id,
            input={"query": text},
            target=target(slots, names),
            route=RouteTaken(model="-"),
        )
        for i, (text, slots) in enumerate(sample(pool, k, seed))
    ]
    train, held = split_examples(examples)
    found = tagger_rows(spec, train)
    if found is None:
        return {"trained": False, "train_rows": len(train)}
    run = train_tagger(spec, *found, folder, seed=seed, max_seconds=3600)
    tagger = Tagger.load(folder / TAGGER_DIR)
    tp = fp = fn = 0
    started = time.perf_counter()
    queries = read_queries(data, intent, "validate")
    for text, gold in queries:
        counts = slot_counts(tagger.predict(text), gold)
        tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
    precision, recall, score = f1(tp, fp, fn)
    return {
        "trained": True,
        "train_rows": len(train),
        "held_out": len(held),
        "aligned": round(found[1], 4),
        "epochs": run.epochs,
        "steps": run.steps,
        "train_s": round(run.seconds, 1),
        "f1": round(score, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "n": len(queries),
        "ms_per_call": round(1000 * (time.perf_counter() - started) / len(queries), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--ks", default="10,70")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    names = intents(args.data)
    figures: dict[str, Any] = {"intents": names}
    with tempfile.TemporaryDirectory() as tmp:
        for k in sorted(int(x) for x in args.ks.split(",")):
            per = {i: one(args.data, i, k, args.seed, Path(tmp) / f"k{k}-{i}") for i in names}
            trained = [p for p in per.values() if p["trained"]]
            average = round(sum(p.get("f1", 0.0) for p in per.values()) / len(per), 4)
            train_s = round(sum(p["train_s"] for p in trained), 1)
            best = PUBLISHED_BEST.get(k)
            figures[f"k{k}"] = {
                "per_intent": per,
                "f1": average,
                "train_s": train_s,
                "published_best": best,
                "over_published_best": round(average / best, 3) if best else None,
            }
            for intent, p in per.items():
                print(f"k={k} {intent:22s} F1 {p.get('f1', 0.0):.3f} ({p['train_rows']} rows, {p.get('train_s', 0)} s)")
            ratio = f" = {average / best:.3f}x the best published service ({best})" if best else ""
            print(f"k={k}: tagger slot F1 {average:.3f} on the whole validate split{ratio}; training {train_s} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

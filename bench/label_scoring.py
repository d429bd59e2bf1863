"""Label outputs: scoring each label by likelihood vs. free generation then parsing (the baseline).

Runs the support-desk intent classifier prompt with the default model (base, no adapter) on a slice of
the sample app's labelled set, and reports validity (is the answer one of the labels?), exact match and
latency for both ways. Run: `python bench/label_scoring.py [N]`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from agentforge.catalog import load_catalog
from agentforge.llm.base import ModelRequest, run_sync
from agentforge.llm.local import LocalModel
from agentforge.plan import make_plan
from agentforge.runtime.prompts import output_labels, render_messages
from agentforge.scan import scan_repo

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_apps" / "support_desk"


def main(n: int) -> dict[str, float]:
    result = scan_repo(SAMPLE)
    spec = next(s for s in result.modules if s.name == "classify_intent")
    plan = make_plan(result.modules, root=str(SAMPLE), base_model="smollm2-135m-instruct").for_module(spec.id)
    assert plan is not None
    catalog = load_catalog()
    kind, role = catalog.kind(plan.kind), catalog.role(plan.agent_role)
    labels = output_labels(spec.output_schema) or []
    rows = [json.loads(line) for line in (SAMPLE / "data" / "intents.jsonl").read_text().splitlines()[:n]]
    model = LocalModel.load()
    figures: dict[str, float] = {"examples": float(len(rows))}
    for way in ("scored", "generated"):
        valid = hits = 0
        started = time.perf_counter()
        for row in rows:
            messages = render_messages(kind, role, spec, {"message": row["text"]})
            req = ModelRequest(messages=messages, choices=labels if way == "scored" else None, max_new_tokens=12)
            answer = run_sync(model.request(req)).text.strip()
            valid += answer in labels
            hits += answer == row["intent"]
        figures[f"{way}_validity"] = valid / len(rows)
        figures[f"{way}_exact_match"] = hits / len(rows)
        figures[f"{way}_ms_per_call"] = (time.perf_counter() - started) * 1000 / len(rows)
    figures["validity_ratio_scored_vs_generated"] = figures["scored_validity"] / max(
        figures["generated_validity"], 1e-9
    )
    figures["latency_ratio_scored_vs_generated"] = figures["scored_ms_per_call"] / figures["generated_ms_per_call"]
    return figures


if __name__ == "__main__":
    figures = main(int(sys.argv[1]) if len(sys.argv) > 1 else 48)
    for key, value in figures.items():
        print(f"{key:40s} {value:.3f}")
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))

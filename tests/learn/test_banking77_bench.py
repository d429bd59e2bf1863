"""`bench/banking77.py` end to end on a fixed stratified subset (`fixtures/banking77_mini`: 10 intents, 8 train
and 3 test messages each; 6 and 2 of those used): corrections → dataset → queued job → worker → LoRA →
gate → promotion → invocations, with the real default model and real PEFT training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MINI = Path(__file__).resolve().parent / "fixtures" / "banking77_mini"


def test_the_loop_on_a_banking77_subset(tmp_path: Path, agentforge_home: Path, bench_retriever: str) -> None:
    pytest.importorskip("peft")
    out = tmp_path / "figures.json"
    recipe = tmp_path / "ci.yaml"  # the shipped default, one epoch: this guards the path, not the accuracy
    recipe.write_text((ROOT / "adapters" / "cpu-default.yaml").read_text().replace("num_epochs: 3", "num_epochs: 1"))
    command = [sys.executable, str(ROOT / "bench" / "banking77.py"), str(MINI), "--ks", "6", "--test-per-intent", "2"]
    command += ["--examples", "4", "--retriever", bench_retriever, "--recipe", str(recipe), "--json-out", str(out)]
    env = {**os.environ, "AGENTFORGE_HOME": str(agentforge_home)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last == json.loads(out.read_text())
    print(done.stdout)

    assert (last["intents"], last["test_queries"]) == (10, 20)
    base, k6 = last["base"], last["k6"]
    job = k6["job"]
    assert job["state"] in ("promoted", "rejected") and job["train_examples"] + job["gate_heldout"] == 60
    assert job["examples_per_s"] > 0 and job["train_s"] > 0
    votes = ("nearest:1", "nearest:5", "centroid", *(("head",) if bench_retriever == "minilm" else ()))
    assert last["votes"] == list(votes)
    served = {*votes, "base+examples:4", job["adapter"], f"{job['adapter']}+examples:4"}
    # every vote cross-validated on the training corrections; the best of them judged by the gate
    assert set(job["cross_validated"]) == set(votes)
    assert set(job["gate_rungs"]) - set(votes) == served - set(votes) and len(set(job["gate_rungs"]) & set(votes)) == 1
    for rung in (*votes, "examples", "adapter", "adapter+examples"):
        low, high = k6[rung]["ci95"]
        assert low <= k6[rung]["accuracy"] <= high and k6[rung]["n"] == 20
        assert k6[rung]["failed_calls"] == 0
    assert all(k6[v]["s_per_call"] < k6["examples"]["s_per_call"] for v in votes)  # no model call
    # Retrieved corrections help at once, and what the route serves after the gate is at least as good; the
    # served route answers the whole test split (3 per intent).
    assert k6["examples"]["accuracy"] >= base["accuracy"] + 0.2, (base, k6["examples"])
    assert last["served_queries"] == 30 and k6["served_rung"]["n"] == 30
    assert k6["served_accuracy"] >= base["accuracy"] + 0.2
    assert k6["served"] in served


def test_a_failing_call_counts_as_a_miss_and_the_run_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from agentforge.errors import ModelError

    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    bench = importlib.import_module("banking77")

    class Answers:
        """Answers `label` for every query but the second, whose call times out."""

        async def invoke(self, module: str, inputs: dict[str, str], **_: object) -> object:
            if inputs["message"] == "two":
                raise ModelError("timed out")
            return type("T", (), {"output": "ok"})()

    figures = bench.answer(Answers(), [("one", "ok"), ("two", "ok"), ("three", "no")], "base")
    assert (figures["accuracy"], figures["failed_calls"], figures["n"]) == (round(1 / 3, 4), 1, 3)

"""`bench/snips.py`: its scoring on hand-made answers, and the whole loop end to end on a fixed subset
(`fixtures/snips_mini`: 2 intents, 8 train and 4 validate queries each; 6 corrections per intent) with the real
default model and real PEFT training."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = Path(__file__).resolve().parent / "fixtures" / "snips_mini"


@pytest.fixture
def data(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("snips_data")


def test_queries_slots_and_the_module_contract(data: ModuleType) -> None:
    train = data.read_queries(MINI, "GetWeather", "train")
    assert len(train) == 8 and train[0] == (
        "How's the weather in Munchique National Natural Park",
        {"geographic_poi": "Munchique National Natural Park"},
    )
    names = data.slot_names(train)
    assert names[0] == "geographic_poi" and len(names) == len(set(names))
    assert data.intents(MINI) == ["GetWeather", "SearchCreativeWork"]
    spec = data.manifest({"GetWeather": names}).specs[0]
    assert spec.id == "assistant/slots.py::extract_get_weather"
    assert set(spec.output_schema["properties"]) == set(names) and "required" not in spec.output_schema
    assert data.target({"city": "Oslo"}, ["city", "state"]) == {"city": "Oslo", "state": None}
    assert data.sample(train, 3, 0) == data.sample(train, 5, 0)[:3]


def test_slot_f1_counts_invented_missed_and_wrong_slots(data: ModuleType) -> None:
    gold = {"city": "Oslo", "timeRange": "tomorrow", "state": None}
    assert data.slot_counts({"city": " oslo ", "timeRange": "TOMORROW", "state": None}, gold) == (2, 0, 0)
    assert data.slot_counts({"city": "Oslo", "country": "Norway"}, gold) == (1, 1, 1)  # invented, missed
    assert data.slot_counts({"city": "Bergen", "timeRange": "tomorrow"}, gold) == (1, 1, 1)  # wrong: both
    assert data.slot_counts("not an object", gold) == (0, 0, 2)
    assert data.f1(1, 1, 1) == (0.5, 0.5, 0.5)
    assert data.f1(0, 0, 0) == (1.0, 1.0, 1.0)
    assert data.f1(0, 2, 0)[2] == 0.0


@pytest.mark.slow
def test_the_loop_on_a_snips_subset(tmp_path: Path, agentforge_home: Path, bench_retriever: str) -> None:
    pytest.importorskip("peft")
    out = tmp_path / "figures.json"
    recipe = tmp_path / "ci.yaml"  # the shipped default, one epoch, from 4 examples: this guards the path, not the F1
    shipped = (ROOT / "adapters" / "cpu-default.yaml").read_text()
    recipe.write_text(shipped.replace("num_epochs: 3", "num_epochs: 1").replace("min_examples: 8", "min_examples: 4"))
    command = [sys.executable, str(ROOT / "bench" / "snips.py"), str(MINI), "--ks", "6", "--validate-per-intent", "4"]
    command += ["--examples", "2", "--retriever", bench_retriever, "--recipe", str(recipe), "--json-out", str(out)]
    env = {**os.environ, "AGENTFORGE_HOME": str(agentforge_home)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last == json.loads(out.read_text())
    print(done.stdout)

    assert last["intents"] == ["GetWeather", "SearchCreativeWork"]
    assert last["validate_queries"] == {"GetWeather": 4, "SearchCreativeWork": 4}
    k6 = last["k6"]
    for intent in last["intents"]:
        job = k6["jobs"][intent]
        assert job["state"] in ("promoted", "rejected"), job
        assert job["train_examples"] + job["gate_heldout"] == 6 and job["train_s"] > 0
        assert {"base+examples:2", job["adapter"], f"{job['adapter']}+examples:2"} <= set(job["gate_rungs"])
        assert not {"nearest:1", "centroid"} & set(job["gate_rungs"])  # votes are for label modules only
        assert f"tagger:{job['adapter']}" in job["gate_rungs"]  # every answer is a span of its query: a tagger too
        for rung in ("examples", "tagger", "adapter", "adapter+examples", "served"):
            figures = k6[rung]["per_intent"][intent]
            assert 0.0 <= figures["precision"] <= 1.0 and 0.0 <= figures["f1"] <= 1.0
            assert figures["n"] == 4 and figures["slots"] > 0 and figures["failed_calls"] == 0
        assert k6["served"]["targets"][intent] in set(job["gate_rungs"]) | {"base+examples:2"}
    assert k6["served_f1"] == k6["served"]["f1"]
    # Retrieved corrections help at once: shown as examples they beat the bare model on these slots.
    assert k6["examples"]["f1"] > last["base"]["f1"], (last["base"]["f1"], k6["examples"]["f1"])

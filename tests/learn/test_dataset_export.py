"""`export_dataset` in Alpaca, chat and DPO JSONL, by split, from real stored feedback (fake model answers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentforge.learn.dataset import DatasetFormat, DatasetSplit, input_key, is_held_out
from agentforge.learn.dataset_export import export_dataset
from agentforge.learn.feedback import Feedback, submit_feedback
from agentforge.llm.base import run_sync
from agentforge.llm.testing import FunctionModel
from agentforge.runtime import Engine
from agentforge.store import Store

from ..runtime.conftest import make_manifest

CLASSIFY = "app/ai.py::classify"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.save_manifest(make_manifest())
        engine = Engine(store, FunctionModel(lambda request: "lost_card"))
        yield engine
        engine.close()


def _call(engine: Engine, message: str) -> str:
    return run_sync(engine.invoke("classify", {"message": message})).id


def _turns(engine: Engine, message: str) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in engine.messages_for("classify", {"message": message})]


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_formats_and_splits(engine: Engine, tmp_path: Path) -> None:
    for i in range(20):  # the model says lost_card; users correct to card_declined
        submit_feedback(engine, _call(engine, f"my card was declined #{i}"), Feedback(value="card_declined"))
    submit_feedback(engine, _call(engine, "I lost my card"), Feedback(rating="up"))  # accepted as it was
    down = _call(engine, "refund me")
    submit_feedback(engine, down, Feedback(rating="down"))
    submit_feedback(engine, _call(engine, "refund me"), Feedback(value="lost_card"))  # kept, then contradicted
    submit_feedback(engine, _call(engine, "refund me"), Feedback(value="refund_request"))
    store, out = engine.store, tmp_path / "out.jsonl"

    counts = export_dataset(store, "default", "classify", out, fmt=DatasetFormat.CHAT)
    assert (counts.examples, counts.written, counts.contradictions, counts.duplicates) == (22, 22, 1, 0)
    inputs = [f"my card was declined #{i}" for i in range(20)] + ["I lost my card", "refund me"]
    prompts = {message: _turns(engine, message) for message in inputs}
    rows = _read(out)
    assert sorted(json.dumps(row["messages"][:-1]) for row in rows) == sorted(json.dumps(p) for p in prompts.values())
    targets = {row["messages"][1]["content"]: row["messages"][-1] for row in rows}
    assert targets[prompts["refund me"][1]["content"]] == {"role": "assistant", "content": "refund_request"}
    assert targets[prompts["I lost my card"][1]["content"]] == {"role": "assistant", "content": "lost_card"}

    examples = {input_key(e): e for e in store.list_examples("default", CLASSIFY)}
    held = {k for k in examples if is_held_out(k, 0.2)}
    assert 0 < len(held) < 22
    sizes = {}
    for split in DatasetSplit:
        sizes[split] = export_dataset(store, "default", "classify", out, fmt=DatasetFormat.ALPACA, split=split).written
        if split is DatasetSplit.HELDOUT:
            users = {row["input"] for row in _read(out)}
            assert users == {prompts[e.input["message"]][1]["content"] for k, e in examples.items() if k in held}
    assert (sizes[DatasetSplit.HELDOUT], sizes[DatasetSplit.TRAIN]) == (len(held), 22 - len(held))
    assert set(_read(out)[0]) == {"instruction", "input", "output"}

    counts = export_dataset(store, "default", "classify", out, fmt=DatasetFormat.DPO)
    pairs = _read(out)
    # 20 corrected outputs, "refund me": the model's lost_card (its final target is refund_request); the up-rated
    # output gives no pair, and the down-rated output is the same lost_card, so one pair only
    assert counts.written == len(pairs) == 21
    assert {(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs} == {
        ("card_declined", "lost_card"),
        ("refund_request", "lost_card"),
    }
    assert all(p["prompt"] in prompts.values() for p in pairs)

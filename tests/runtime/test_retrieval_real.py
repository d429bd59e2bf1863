"""With the real default model: corrections shown as retrieved examples make it more accurate at once.

A small labelled task from BANKING77 (four intents; six train messages per intent stored as corrections,
five test messages per intent held out; the 44 rows live in `fixtures/`, see its SOURCE.md) answered by the
rungs `base` and `base+examples`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from agentforge.artifacts import Rung
from agentforge.config import Paths
from agentforge.llm.base import run_sync
from agentforge.runtime import Engine
from agentforge.store import Store
from tests.labels import label_manifest

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parent / "fixtures" / "banking77_subset.csv"
INTENTS = ["card_arrival", "exchange_rate", "pin_blocked", "top_up_failed"]
MODULE = "bank/intents.py::classify_intent"


def _rows(split: str) -> list[tuple[str, str]]:
    with DATA.open(newline="", encoding="utf-8") as f:
        return [(r["text"], r["category"]) for r in csv.DictReader(f) if r["split"] == split]


def test_retrieved_corrections_beat_the_bare_base_model(tmp_path: Path, agentforge_home: Path) -> None:
    from agentforge.llm.local import LocalModel

    with Store.open(f"sqlite:///{tmp_path / 'af.db'}") as store:
        store.save_manifest(
            label_manifest(
                MODULE,
                INTENTS,
                input_name="message",
                intent="Classify a banking customer's message into its intent",
                title="Intent",
            )
        )
        engine = Engine(store, LocalModel.load(paths=Paths(home=agentforge_home)))
        for text, label in _rows("train"):
            trace = run_sync(engine.invoke(MODULE, {"message": text}, target="static"))
            engine.correct(trace.id, label)
        held_out = _rows("test")
        hits = {"base": 0, "base+examples": 0}
        for text, label in held_out:
            for target in hits:
                trace = run_sync(engine.invoke(MODULE, {"message": text}, target=target, record=False))
                hits[target] += trace.output == label
                assert trace.route.rung is Rung(target)
                assert bool(trace.route.examples) == (target == "base+examples")
        engine.close()
    base, shown = hits["base"] / len(held_out), hits["base+examples"] / len(held_out)
    print(f"base {base:.3f}, base+examples {shown:.3f} on {len(held_out)} held-out messages")
    assert shown >= base + 0.25, (base, shown)

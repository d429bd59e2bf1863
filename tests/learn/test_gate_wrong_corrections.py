"""Issue 5 acceptance: an adapter trained on deliberately wrong corrections is rejected and the champion stays.

The held-out split (a pure function of each input, see `is_held_out`) holds correct corrections; every
correction that falls in the training split has its label permuted. The real default model answers the
held-out questions through its champion (the base model); a real PEFT LoRA is trained on the wrong labels
through `train_module`, the same path a worker takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentforge.artifacts import (
    AdapterStatus,
    JobState,
    RouteTaken,
    Rung,
    Trace,
)
from agentforge.config import Paths
from agentforge.learn.dataset import input_key, is_held_out
from agentforge.learn.loop import train_module
from agentforge.learn.recipe import load_recipe
from agentforge.llm.base import run_sync
from agentforge.runtime import Engine
from agentforge.runtime.retrieval import Retriever
from agentforge.store import Store
from tests.labels import label_manifest

pytestmark = pytest.mark.slow

QUESTIONS = {
    "weather": ["Will it rain in {x} tomorrow?", "How hot will it be in {x} this afternoon?", "Is it snowing in {x}?"],
    "sports": [
        "Who won the football match in {x}?",
        "When does the {x} basketball team play?",
        "Did {x} win the game?",
    ],
    "cooking": [
        "How do I bake bread in {x}?",
        "What is a good pasta recipe from {x}?",
        "How long do I boil eggs in {x}?",
    ],
}
PLACES = ["Paris", "Lisbon", "Oslo", "Boston", "Madrid", "Rome", "Berlin", "Dublin", "Vienna", "Prague", "Tokyo"]
WRONG = {"weather": "sports", "sports": "cooking", "cooking": "weather"}
"""The deliberate error: a label permutation, consistent so that an adapter can learn it."""
HOLDOUT = 0.2
N_TRAIN, N_HELD = 24, 8


def _calls() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, held-out) questions with their true topics, chosen by the split rule itself."""
    train: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for place in PLACES:
        for topic, templates in QUESTIONS.items():
            for template in templates:
                question = template.format(x=place)
                side = held if is_held_out(_key(question), HOLDOUT) else train
                if len(side) < (N_HELD if side is held else N_TRAIN):
                    side.append((question, topic))
    assert (len(train), len(held)) == (N_TRAIN, N_HELD)
    return train, held


def _key(question: str) -> str:
    from agentforge.artifacts import Example

    example = Example(
        trace_id="x", module_id="m", input={"question": question}, target=None, route=RouteTaken(model="m")
    )
    return input_key(example)


@pytest.fixture
def engine(tmp_path: Path, agentforge_home: Path, minilm_retriever: Retriever) -> Iterator[Engine]:
    """The embedding retriever, so that every rung without a model (the votes and the head) is judged too."""
    from agentforge.llm.local import LocalModel

    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.save_manifest(
            label_manifest(
                "bot.py::topic",
                ["cooking", "sports", "weather"],
                input_name="question",
                intent="Say which topic a question is about: weather, sports or cooking.",
            )
        )
        engine = Engine(store, LocalModel.load(paths=Paths(home=agentforge_home)), retriever=minilm_retriever)
        yield engine
        engine.close()


def test_an_adapter_trained_on_wrong_corrections_is_rejected_and_the_champion_stays(
    engine: Engine, tmp_path: Path, agentforge_home: Path
) -> None:
    from agentforge.llm.local import LocalModel
    from agentforge.llm.weights import resolve_model_dir

    train, held = _calls()
    route = RouteTaken(model=engine.model.name, rung=Rung.BASE)
    for (question, topic), wrong in [*((c, True) for c in train), *((c, False) for c in held)]:
        trace = Trace(module_id="bot.py::topic", input={"question": question}, output=topic, route=route)
        engine.store.add_trace(trace)
        engine.correct(trace.id, WRONG[topic] if wrong else topic)
    champion_before = engine.store.get_route("default", "bot.py::topic")
    assert champion_before.champion == "base"

    assert isinstance(engine.model, LocalModel)
    recipe = load_recipe("cpu-default").model_copy(update={"num_epochs": 4, "micro_batch_size": 4})
    outcome = train_module(
        engine,
        "topic",
        Paths(home=tmp_path / "data"),
        recipe=recipe,
        model_dir=resolve_model_dir(recipe.base_model, Paths(home=agentforge_home)),
        base_model=recipe.base_model,
        format_text=engine.model.format_training_text,
    )

    report = outcome.report
    assert (outcome.train_examples, report.n) == (N_TRAIN, N_HELD)
    assert report.champion == "base" and report.champion_score >= 0.5, report  # the champion answers well
    assert report.candidate_score < report.champion_score, report  # it learned the wrong labels
    # The corrections answering by themselves agree with the wrong labels on the training split (cross-validated
    # there, each of them did well), so the best of them goes before the gate, and loses on the held-out split.
    assert set(report.cross_validated) == {"nearest:1", "nearest:5", "centroid", "head"}
    [vote] = [rung for rung in report.rungs if rung in report.cross_validated]
    assert report.cross_validated[vote] == max(report.cross_validated.values())
    assert report.rungs[vote] < report.rungs["base"], report.rungs
    assert not report.promoted and report.reason.startswith("not promoted"), report.reason
    assert engine.store.get_adapter("default", outcome.adapter.name).status is AdapterStatus.REJECTED
    assert engine.store.get_adapter("default", outcome.adapter.name).report == report
    assert outcome.job.state is JobState.REJECTED
    assert engine.store.get_route("default", "bot.py::topic") == champion_before
    trace = run_sync(engine.invoke("topic", {"question": "Will it be windy in Athens tonight?"}))
    assert (trace.route.rung, trace.route.adapter) == (Rung.BASE, None)

"""The whole learning loop with the real default model: corrections → LoRA → gate → promotion."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from agentforge.artifacts import (
    Example,
    JobState,
    Rung,
)
from agentforge.config import Paths
from agentforge.learn.card import read_card
from agentforge.learn.loop import TrainOutcome, train_module
from agentforge.learn.recipe import load_recipe
from agentforge.llm.base import run_sync
from agentforge.runtime import Engine
from agentforge.runtime.retrieval import BM25Retriever, ExampleIndex
from agentforge.runtime.targets import champion_target, parse_target
from agentforge.store import Store
from tests.labels import label_manifest

pytestmark = pytest.mark.slow

TOPICS = {
    "weather": ["Will it rain in {x} tomorrow?", "How cold is it going to be in {x} tonight?", "Is {x} sunny today?"],
    "sports": ["Who won the {x} match last night?", "When does {x} play next?", "What was the {x} score?"],
    "cooking": ["How long should I bake {x}?", "What spices go well with {x}?", "Can I freeze cooked {x}?"],
}
FILLERS = ["Paris", "Lisbon", "the Lakers", "Arsenal", "salmon", "lasagna", "Oslo", "Boston", "rice", "tofu"]


def _messages(n: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        topic = list(TOPICS)[i % 3]
        out.append((rng.choice(TOPICS[topic]).format(x=rng.choice(FILLERS)) + f" (#{i})", topic))
    return out


@pytest.fixture
def engine(tmp_path: Path, agentforge_home: Path) -> Iterator[Engine]:
    from agentforge.llm.local import LocalModel

    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.save_manifest(
            label_manifest(
                "bot.py::topic",
                ["cooking", "sports", "weather"],
                input_name="question",
                intent="Say which topic a question is about.",
            )
        )
        engine = Engine(store, LocalModel.load(paths=Paths(home=agentforge_home)))
        for text, topic in _messages(60):
            trace = run_sync(engine.invoke("topic", {"question": text}))
            engine.correct(trace.id, topic)
        yield engine


def _train(engine: Engine, tmp_path: Path, agentforge_home: Path, **recipe_changes: object) -> TrainOutcome:
    from agentforge.llm.local import LocalModel
    from agentforge.llm.weights import resolve_model_dir

    assert isinstance(engine.model, LocalModel)
    recipe = load_recipe("cpu-default").model_copy(update={"num_epochs": 2, **recipe_changes})
    return train_module(
        engine,
        "topic",
        Paths(home=tmp_path / "data"),
        recipe=recipe,
        model_dir=resolve_model_dir(recipe.base_model, Paths(home=agentforge_home)),
        base_model=recipe.base_model,
        format_text=engine.model.format_training_text,
    )


class _FindsNothing:
    """A retriever with nothing to show: the examples rungs answer as the bare ones, so the adapter stands alone."""

    name = "nothing"
    embeds = False

    def index(self, examples: Sequence[Example]) -> ExampleIndex:
        return BM25Retriever().index([])


def test_a_better_adapter_is_promoted_and_then_serves(engine: Engine, tmp_path: Path, agentforge_home: Path) -> None:
    engine.retriever = _FindsNothing()
    outcome = _train(engine, tmp_path, agentforge_home)
    report = outcome.report
    assert report.promoted, report.reason
    assert report.candidate_score > report.champion_score
    assert outcome.job.state is JobState.PROMOTED
    name = outcome.adapter.name
    votes = ["nearest:1", "nearest:5", "centroid"]  # nothing to vote with: they fail, and score nothing
    assert report.cross_validated == dict.fromkeys(votes, 0.0)  # on the training corrections, fold by fold
    # only the best of them (a tie: the cheapest) goes before the gate
    assert list(report.rungs) == ["base", "nearest:1", name, "base+examples:4", f"{name}+examples:4"]
    assert report.rungs["nearest:1"] == 0.0
    assert report.rungs["base+examples:4"] == report.rungs["base"]
    assert report.rungs[f"{name}+examples:4"] == report.rungs[name]
    assert report.candidate == name  # of two rungs scoring alike, the cheaper to serve
    route = engine.store.get_route("default", "bot.py::topic")
    assert (route.champion, route.examples, route.fallback) == (name, 0, ["base", "static"])
    card = read_card(Path(outcome.adapter.path))
    assert card.name == outcome.adapter.name and card.train_examples == outcome.train_examples
    assert outcome.train_examples + len(outcome.heldout) == 60
    trace = run_sync(engine.invoke("topic", {"question": "Is it windy in Rome today?"}))
    assert (trace.route.rung, trace.route.adapter) == (Rung.ADAPTER, name)
    jobs = engine.store.list_jobs("default", "bot.py::topic")
    assert [j.state for j in jobs] == [JobState.PROMOTED]


def test_an_adapter_that_learned_nothing_is_rejected(engine: Engine, tmp_path: Path, agentforge_home: Path) -> None:
    outcome = _train(engine, tmp_path, agentforge_home, learning_rate=1e-9, num_epochs=1)
    report = outcome.report
    assert not report.promoted
    assert outcome.job.state is JobState.REJECTED
    # The corrections beat the bare model by themselves (voting, or shown as examples): the best such rung wins
    # and serves, without the adapter (of rungs scoring alike, the cheaper to serve: the gate lists it first).
    without = {t: v for t, v in report.rungs.items() if t != "base" and outcome.adapter.name not in t}
    best = max(without, key=lambda t: without[t])
    assert without[best] > report.rungs["base"] + 0.3, report.rungs
    route = engine.store.get_route("default", "bot.py::topic")
    assert champion_target(route) == best and best in report.reason
    trace = run_sync(engine.invoke("topic", {"question": "Is it windy in Rome today?"}))
    assert (trace.route.rung, trace.route.adapter) == (parse_target(best, route).rung, None)

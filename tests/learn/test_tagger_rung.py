"""The tagger rung through the real loop: an extraction module's job trains a real LoRA on the default model and a
real span tagger on the encoder, the gate scores both on held-out corrections, and then the deliberately-wrong-
corrections rule holds for the tagger too: a second version trained mostly on swapped fields loses to the champion
and is rejected, and the route stays.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentforge.artifacts import (
    AdapterStatus,
    ByteSpan,
    Example,
    JobState,
    RouteTaken,
    Rung,
    Trace,
)
from agentforge.config import Paths
from agentforge.learn.card import read_card
from agentforge.learn.dataset import input_key, is_held_out
from agentforge.learn.loop import TrainOutcome, train_module
from agentforge.learn.recipe import load_recipe
from agentforge.llm.base import run_sync
from agentforge.runtime import Engine
from agentforge.runtime.retrieval import Retriever
from agentforge.runtime.tagger import TAGGER_DIR
from agentforge.store import Store
from tests.labels import extraction_manifest

pytestmark = pytest.mark.slow

MODULE = "bot.py::extract_trip"
SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)
TEMPLATES = [
    "book a train to {city} on {day}",
    "is there a flight to {city} {day} morning",
    "I need a hotel in {city} for {day}",
    "what is the weather like in {city} on {day}",
    "remind me to call the office in {city} {day}",
]
CITIES = ["Lisbon", "Oslo", "Nairobi", "Kyoto", "Quito", "Dublin", "Hanoi", "Porto", "Zagreb", "Lima", "Accra"]
HOLDOUT = 0.2
"""The loop's held-out share (`split_examples`' default)."""
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _queries(start: int, n: int) -> list[tuple[str, str, str]]:
    """Queries `start` to `start + n` of every template, city and day combination, in a fixed shuffled order."""
    combos = list(itertools.product(TEMPLATES, CITIES, DAYS))
    random.Random(0).shuffle(combos)
    return [(t.format(city=c, day=d), c, d) for t, c, d in combos[start : start + n]]


@pytest.fixture
def engine(tmp_path: Path, agentforge_home: Path, minilm_retriever: Retriever) -> Iterator[Engine]:
    from agentforge.llm.local import LocalModel

    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.save_manifest(
            extraction_manifest(
                MODULE,
                {"city": {"type": ["string", "null"]}, "day": {"type": ["string", "null"]}},
                input_name="query",
                intent="Pull the city and the day of a travel request out of the query, as the query spells them",
            )
        )
        engine = Engine(store, LocalModel.load(paths=Paths(home=agentforge_home)), retriever=minilm_retriever)
        yield engine
        engine.close()


def _correct(engine: Engine, queries: list[tuple[str, str, str]], *, swapped: bool) -> None:
    """Store each query's correction; `swapped`: the city and day exchanged in every one the training split gets
    (the held-out split, a pure function of the input, stays right, so the gate judges against the truth)."""
    route = RouteTaken(model=engine.model.name, rung=Rung.BASE)
    for query, city, day in queries:
        trace = Trace(module_id=MODULE, input={"query": query}, output=None, route=route)
        engine.store.add_trace(trace)
        key = input_key(Example(trace_id="-", module_id=MODULE, input={"query": query}, target=None, route=route))
        wrong = swapped and not is_held_out(key, HOLDOUT)
        engine.correct(trace.id, {"city": day, "day": city} if wrong else {"city": city, "day": day})


def _train(engine: Engine, tmp_path: Path, agentforge_home: Path) -> TrainOutcome:
    from agentforge.llm.local import LocalModel
    from agentforge.llm.weights import resolve_model_dir

    assert isinstance(engine.model, LocalModel)
    recipe = load_recipe("cpu-default").model_copy(update={"num_epochs": 1, "min_examples": 4})
    return train_module(
        engine,
        "extract_trip",
        Paths(home=tmp_path / "data"),
        recipe=recipe,
        model_dir=resolve_model_dir(recipe.base_model, Paths(home=agentforge_home)),
        base_model=recipe.base_model,
        format_text=engine.model.format_training_text,
    )


def test_a_tagger_learns_spans_and_one_trained_on_swapped_fields_is_rejected(
    engine: Engine, tmp_path: Path, agentforge_home: Path
) -> None:
    _correct(engine, _queries(0, 40), swapped=False)
    first = _train(engine, tmp_path, agentforge_home)
    tagger = f"tagger:{first.adapter.name}"
    assert tagger in first.report.rungs, first.report.rungs
    assert first.rungs[tagger].mean >= 0.8, first.report.rungs  # spans of unseen queries, copied as spelled
    folder = Path(first.adapter.path)
    assert (folder / TAGGER_DIR / "tagger.safetensors").stat().st_size < 20_000_000  # a LoRA, not an encoder
    card = read_card(folder)
    assert card.metrics["tagger_aligned"] == 1.0 and card.metrics["tagger_steps"] > 0 and card.recipe.tagger
    answer = run_sync(engine.invoke(MODULE, {"query": "get me a taxi to Reykjavik on Friday"}, target=tagger))
    assert answer.output == {"city": "Reykjavik", "day": "Friday"} and answer.route.rung is Rung.TAGGER

    # Whatever the gate chose (the 135M model with examples copies these easy spans well too), the good tagger is
    # made the champion, so the second version has a strong rung to beat.
    before = engine.store.get_route("default", MODULE)
    engine.store.set_route("default", MODULE, before.model_copy(update={"champion": tagger, "examples": 0}))
    champion = engine.store.get_route("default", MODULE)

    _correct(engine, _queries(40, 80), swapped=True)
    second = _train(engine, tmp_path, agentforge_home)
    wrong = f"tagger:{second.adapter.name}"
    report = second.report
    assert report.champion == tagger and wrong in report.rungs, report.rungs
    assert report.rungs[wrong] < report.champion_score, report.rungs
    assert not report.promoted and second.job.state is JobState.REJECTED, report.reason
    assert engine.store.get_adapter("default", second.adapter.name).status is AdapterStatus.REJECTED
    assert engine.store.get_route("default", MODULE) == champion

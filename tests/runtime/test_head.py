"""The `head` rung: a logistic regression on the retriever's embeddings of a module's corrections. Fitting and the
choice of its penalty on fixed vectors; the engine's use of it with the real all-MiniLM-L6-v2."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from agentforge.artifacts import Example, Route, RouteTaken, Rung
from agentforge.errors import NotFoundError
from agentforge.learn.dataset import input_key
from agentforge.llm.base import run_sync
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.embeddings import MiniLMRetriever
from agentforge.runtime.head import PENALTIES, fit_head, head_answer
from agentforge.runtime.retrieval import BM25Retriever, ExampleIndex, Exclusion
from agentforge.runtime.targets import HEAD, Step, parse_target
from agentforge.store import Store

MODULE = "app/ai.py::classify"


def _example(i: int, target: str) -> Example:
    return Example(
        trace_id=f"t{i}", module_id=MODULE, input={"message": f"m{i}"}, target=target, route=RouteTaken(model="m")
    )


class _Vectors:
    """An embedding scorer over fixed unit vectors; a query names its vector by its text (`q0`, `q1`, ...)."""

    def __init__(self, rows: list[list[float]], queries: list[list[float]]) -> None:
        self._matrix = torch.nn.functional.normalize(torch.tensor(rows), dim=1)
        self._queries = torch.nn.functional.normalize(torch.tensor(queries), dim=1)

    def scores(self, query: str) -> list[float]:
        return [float(s) for s in self._matrix @ self.embed(query)]

    def vectors(self) -> Any:
        return self._matrix

    def embed(self, query: str) -> Any:
        return self._queries[int(query.removeprefix("q"))]


def _unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees)), 0.1]


def _layout() -> tuple[list[Example], list[list[float]]]:
    """Class `a` around 0°, with one stray correction at 77°, inside class `b` (65° to 90°). The nearest
    correction to a point at 78° is the stray; a regularised linear head cannot bend around it and says `b`."""
    angles = [("a", d) for d in (-15, -8, 0, 5, 10, 15, 77)] + [("b", d) for d in (65, 70, 75, 80, 85, 90)]
    return [_example(i, label) for i, (label, _) in enumerate(angles)], [_unit(d) for _, d in angles]


def test_the_head_separates_what_the_nearest_correction_confuses() -> None:
    examples, rows = _layout()
    index = ExampleIndex(examples, _Vectors(rows, [_unit(78), _unit(5)]), min_score=-2.0)
    assert index.scored({"message": "q0"})[0][1].target == "a"  # the stray is nearest
    answer, shown = head_answer(index, {"message": "q0"}, exclude=Exclusion(), fits=lambda v: True)
    assert answer == "b"
    assert [e.trace_id for e in shown] == ["t10", "t9", "t11"]  # its own answer's most similar: 80°, 75°, 85°
    assert head_answer(index, {"message": "q1"}, exclude=Exclusion(), fits=lambda v: True)[0] == "a"


def test_fitting_is_deterministic_and_respects_exclusions_and_the_contract() -> None:
    examples, rows = _layout()
    vectors = torch.nn.functional.normalize(torch.tensor(rows), dim=1)
    keys = [input_key(e) for e in examples]
    first, second = fit_head(vectors, examples, keys), fit_head(vectors, examples, keys)
    assert torch.equal(first.weights, second.weights) and first.penalty == second.penalty
    assert first.penalty == PENALTIES[1]  # too few corrections to choose by: the middle penalty

    index = ExampleIndex(examples, _Vectors(rows, [_unit(80)]), min_score=-2.0)
    without_b = Exclusion(trace_ids=frozenset(f"t{i}" for i in range(7, 13)))
    assert head_answer(index, {"message": "q0"}, exclude=without_b, fits=lambda v: True)[0] == "a"
    assert head_answer(index, {"message": "q0"}, exclude=Exclusion(), fits=lambda v: v != "b")[0] == "a"
    with pytest.raises(NotFoundError):
        head_answer(index, {"message": "q0"}, exclude=Exclusion(), fits=lambda v: False)


def test_the_penalty_is_chosen_on_the_modules_own_corrections() -> None:
    generator = torch.Generator().manual_seed(0)
    centres = torch.nn.functional.normalize(torch.randn(4, 16, generator=generator), dim=1)
    examples, rows = [], []
    for i in range(80):
        examples.append(_example(i, f"c{i % 4}"))
        rows.append(centres[i % 4] + 0.4 * torch.randn(16, generator=generator))
    vectors = torch.nn.functional.normalize(torch.stack(rows), dim=1)
    head = fit_head(vectors, examples, [input_key(e) for e in examples])
    assert head.penalty in PENALTIES
    assert head.predict(centres[2])[0] == "c2"


def test_bm25_has_no_vectors_for_a_head() -> None:
    index = BM25Retriever().index([_example(0, "a"), _example(1, "b")])
    with pytest.raises(NotFoundError, match="embedding retriever"):
        head_answer(index, {"message": "m0"}, exclude=Exclusion(), fits=lambda v: True)
    assert parse_target(HEAD, Route()) == Step(HEAD) and Step(HEAD).rung is Rung.HEAD and Step(HEAD).vote


@pytest.mark.slow
def test_engine_answers_the_head_rung_from_real_embeddings(app_store: Store, minilm_retriever: MiniLMRetriever) -> None:
    model = TestModel()
    engine = Engine(app_store, model, retriever=minilm_retriever)
    for message, label in [
        ("I lost my card on the train", "lost_card"),
        ("my card is gone, I cannot find it", "lost_card"),
        ("my card was declined at the shop", "card_declined"),
        ("the terminal refused my card payment", "card_declined"),
        ("please refund the double charge", "refund_request"),
        ("I want my money back for this purchase", "refund_request"),
    ]:
        trace = run_sync(engine.invoke("classify", {"message": message}, target="base"))
        engine.correct(trace.id, label)
    calls = len(model.requests)
    trace = run_sync(engine.invoke("classify", {"message": "where is my card, I think I lost it"}, target="head"))
    assert trace.output == "lost_card"
    assert (trace.route.rung, trace.route.model) == (Rung.HEAD, "head/minilm")
    refund = run_sync(engine.invoke("classify", {"message": "give me a refund"}, target="head", record=False))
    assert refund.output == "refund_request"
    assert len(model.requests) == calls  # the head calls no model

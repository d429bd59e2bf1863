"""The corrections' own answers as rungs (`nearest[:K]`, `centroid`): target syntax, the vote, the engine's use of
it (no model call, exclusions, fallback) and the gate's rung list."""

from __future__ import annotations

import pytest

from agentforge.artifacts import Example, Route, RouteTaken, Rung
from agentforge.errors import InvalidInputError, NotFoundError
from agentforge.learn.rungs import gate_rungs, label_votes
from agentforge.llm.base import run_sync
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.retrieval import BM25Retriever, ExampleIndex, Exclusion
from agentforge.runtime.targets import CENTROID, NEAREST, Step, champion_target, parse_target, route_steps
from agentforge.runtime.vote import vote
from agentforge.store import Store

MODULE = "app/ai.py::classify"


def _example(trace_id: str, message: str, target: object) -> Example:
    return Example(
        trace_id=trace_id, module_id=MODULE, input={"message": message}, target=target, route=RouteTaken(model="m")
    )


def test_vote_targets_parse_print_and_name_their_rungs() -> None:
    route = Route(examples=5)
    assert parse_target("nearest", route) == Step(NEAREST, 0)
    assert parse_target("nearest:3", route) == Step(NEAREST, 3)
    assert parse_target("centroid", route) == Step(CENTROID)
    assert parse_target("nearest:3", route).rung is Rung.NEAREST
    assert parse_target("centroid", route).rung is Rung.CENTROID
    assert parse_target("nearest", route).adapter is None and parse_target("centroid", route).vote
    for text in ("nearest:3", "centroid", "base+examples:2", "m@1"):
        assert parse_target(parse_target(text, route).text, route) == parse_target(text, route)
    assert Step(NEAREST, 0).text == "nearest:1"
    for bad in ("nearest:0", "nearest+examples", "nearest:2+examples:3", "centroid:3", "centroid+examples:2"):
        with pytest.raises(InvalidInputError):
            parse_target(bad, route)
    # a plain champion takes the route's count as its neighbours; a centroid has none
    assert champion_target(Route(champion="nearest", examples=5)) == "nearest:5"
    assert champion_target(Route(champion="centroid", examples=5)) == "centroid"
    assert route_steps(Route(champion="nearest", examples=5), "nearest", explicit=False)[0] == Step(NEAREST, 5)
    assert route_steps(Route(champion="centroid", examples=5), "centroid", explicit=False)[0] == Step(CENTROID)


def test_majority_of_neighbours_ties_to_the_more_similar_and_centroid_averages() -> None:
    index = BM25Retriever().index(
        [
            _example("a", "card declined at the shop", "card_declined"),
            _example("b", "card declined online", "card_declined"),
            _example("c", "declined card shop lost", "lost_card"),
            _example("d", "lost card on the train", "lost_card"),
            _example("e", "refund the charge", "refund_request"),
        ]
    )

    def ask(message: str, k: int, centroid: bool = False) -> tuple[object, list[str]]:
        answer, used = vote(
            index, {"message": message}, neighbours=k, centroid=centroid, exclude=Exclusion(), fits=lambda v: True
        )
        return answer, [e.trace_id for e in used]

    assert ask("card declined at the shop", 1) == ("card_declined", ["a"])
    assert ask("card declined at the shop", 3) == ("card_declined", ["a", "b"])  # two of three

    class Fixed:
        def scores(self, query: str) -> list[float]:
            return [0.9, 0.2, 0.8, 0.7, 0.1]  # a, b, c, d, e

    fixed = ExampleIndex(index.examples, Fixed())
    tie = vote(fixed, {"message": "x"}, neighbours=4, centroid=False, exclude=Exclusion(), fits=lambda v: True)
    assert (tie[0], [e.trace_id for e in tie[1]]) == ("lost_card", ["c", "d"])  # two each: 0.8 + 0.7 > 0.9 + 0.2
    two_one = vote(fixed, {"message": "x"}, neighbours=3, centroid=False, exclude=Exclusion(), fits=lambda v: True)
    assert two_one[0] == "lost_card"  # c and d outvote a
    mean = vote(fixed, {"message": "x"}, neighbours=1, centroid=True, exclude=Exclusion(), fits=lambda v: True)
    assert mean[0] == "lost_card"  # (0.8 + 0.7) / 2 beats (0.9 + 0.2) / 2
    assert ask("refund please", 5, centroid=True)[0] == "refund_request"
    assert ask("refund please", 5, centroid=True)[1] == ["e"]
    with pytest.raises(NotFoundError):
        ask("nothing in common", 3)  # BM25: no shared term, no neighbour
    no_refunds = vote(
        index,
        {"message": "refund the charge"},
        neighbours=1,
        centroid=True,
        exclude=Exclusion(trace_ids=frozenset({"e"})),
        fits=lambda v: True,
    )
    assert no_refunds[0] != "refund_request"
    stale = vote(
        index,
        {"message": "card declined at the shop"},
        neighbours=1,
        centroid=False,
        exclude=Exclusion(),
        fits=lambda v: v != "card_declined",  # the label left the contract: its corrections do not vote
    )
    assert stale[0] == "lost_card"


def test_engine_answers_a_vote_rung_without_calling_the_model(app_store: Store) -> None:
    model = TestModel()
    engine = Engine(app_store, model)
    ids = []
    for message, label in [
        ("I lost my card on the train", "lost_card"),
        ("my card was declined at the shop", "card_declined"),
        ("card declined again when paying online", "card_declined"),
        ("please refund the double charge", "refund_request"),
    ]:
        trace = run_sync(engine.invoke("classify", {"message": message}, target="base"))
        engine.correct(trace.id, label)
        ids.append(trace.id)
    calls = len(model.requests)

    trace = run_sync(engine.invoke("classify", {"message": "card declined in a shop"}, target="nearest:3"))
    assert trace.output == "card_declined"
    assert (trace.route.rung, trace.route.adapter, trace.route.model) == (Rung.NEAREST, None, "nearest/bm25")
    assert set(trace.route.examples) == {ids[1], ids[2]}
    assert run_sync(engine.invoke("classify", {"message": "refund"}, target="centroid")).route.rung is Rung.CENTROID
    assert len(model.requests) == calls  # no model call for either

    # An evaluation (record=False) never votes with the very input it scores.
    scored = run_sync(engine.invoke("classify", {"message": "please refund the double charge"}, target="nearest"))
    assert scored.output == "refund_request"
    unseen = run_sync(
        engine.invoke("classify", {"message": "please refund the double charge"}, target="nearest", record=False)
    )
    assert ids[3] not in unseen.route.examples

    # A vote with nothing to go on falls through to the route's next step.
    app_store.set_route("default", MODULE, Route(champion="nearest", examples=3, fallback=["base", "static"]))
    fell = run_sync(engine.invoke("classify", {"message": "zzz qqq"}))
    assert fell.route.rung is Rung.BASE and fell.error is not None and fell.error.startswith("nearest:3: ")
    assert engine.route_targets("classify") == [None]


def test_the_gate_scores_votes_for_label_modules_only_and_never_twice() -> None:
    route = Route(champion="base", examples=8)
    assert gate_rungs(route, "m@1") == ["base+examples:8", "m@1", "m@1+examples:8"]
    assert gate_rungs(route, "m@1", votes=label_votes(embeds=False)) == [
        "base+examples:8",
        "nearest:1",
        "nearest:5",
        "centroid",
        "m@1",
        "m@1+examples:8",
    ]
    served = Route(champion="nearest", examples=5)
    assert gate_rungs(served, "m@2", votes=label_votes(embeds=True)) == [
        "nearest:5",
        "nearest:1",
        "centroid",
        "head",
        "m@2",
        "base+examples:5",
        "m@2+examples:5",
    ]


def test_a_vote_champion_is_promoted_and_rolled_back_with_the_route_example_count_kept(app_store: Store) -> None:
    from agentforge.artifacts import AdapterStatus, AdapterVersion
    from agentforge.learn.promotion import promote, promoted_route, rollback

    before = Route(champion="base", examples=8, fallback=["static"])
    voted = promoted_route(before, Step(NEAREST, 5).text, before.examples)
    assert (voted.champion, voted.examples, voted.fallback) == ("nearest:5", 8, ["base+examples:8", "base", "static"])
    assert champion_target(voted) == "nearest:5"
    app_store.set_route("default", MODULE, voted)
    app_store.add_adapter(AdapterVersion(name="classify@a1", module_id=MODULE, base_model="fake", path="/nowhere"))
    promote(app_store, "default", "classify@a1")  # a vote has no adapter status to retire
    assert app_store.get_route("default", MODULE).fallback[0] == "nearest:5"
    change = rollback(app_store, "default", MODULE)
    assert (change.after.champion, change.after.examples) == ("nearest:5", 8)
    assert app_store.get_adapter("default", "classify@a1").status is AdapterStatus.RETIRED

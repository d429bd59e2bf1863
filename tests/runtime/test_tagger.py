"""The span tagger's pieces without a model: which modules can have one, how answers become token labels and
token labels answers again, and how its `tagger:NAME` target reads and routes."""

from __future__ import annotations

import pytest

from agentforge.artifacts import Example, ModuleSpec, Route, RouteTaken, Rung
from agentforge.errors import InvalidInputError
from agentforge.learn.rungs import gate_rungs
from agentforge.learn.tagger_training import tagger_rows
from agentforge.runtime.tagger import decode, find_span, span_fields, tag_ids
from agentforge.runtime.targets import Step, champion_target, parse_target, route_steps
from tests.labels import extraction_manifest

OPTIONAL = {"type": ["string", "null"]}


def _spec(properties: dict[str, object]) -> ModuleSpec:
    return extraction_manifest("bot.py::slots", properties, input_name="query", intent="slots").specs[0]


def _example(query: str, target: object) -> Example:
    return Example(
        trace_id=query, module_id="bot.py::slots", input={"query": query}, target=target, route=RouteTaken(model="m")
    )


def test_only_an_object_of_string_fields_can_be_tagged() -> None:
    assert span_fields({"type": "object", "properties": {"city": OPTIONAL, "day": {"type": "string"}}}) == [
        "city",
        "day",
    ]
    assert span_fields({"type": "object", "properties": {"city": {"anyOf": [{"type": "string"}, {"type": "null"}]}}})
    assert span_fields({"type": "object", "properties": {"city": OPTIONAL, "count": {"type": "integer"}}}) is None
    assert span_fields({"type": "object", "properties": {"mood": {"type": "string", "enum": ["a", "b"]}}}) is None
    assert span_fields({"type": "string", "enum": ["a", "b"]}) is None
    assert span_fields({"type": "object", "properties": {}}) is None


def test_a_value_is_found_on_word_boundaries_first_and_case_folded() -> None:
    text = "Add Artists of the party art to my Party playlist"
    assert find_span(text, "party") == (19, 24)
    assert find_span(text, "ART") == (25, 28)  # the word, not the start of "Artists"
    assert find_span(text, "playlist ") == (41, 49)
    assert find_span(text, "Oslo") is None
    assert find_span(text, "  ") is None


def test_answers_become_token_labels_and_labels_become_the_same_answers() -> None:
    import torch

    text = "weather in New York tomorrow"
    offsets = [(0, 0), (0, 7), (8, 10), (11, 14), (15, 19), (20, 28), (0, 0)]  # special tokens have empty spans
    fields = ["city", "time"]
    labels = tag_ids(text, {"city": "new york", "time": "tomorrow", "other": "x"}, offsets, fields)
    assert labels == [-100, 0, 0, 1, 2, 3, -100]
    probs = torch.nn.functional.one_hot(torch.tensor([0 if x < 0 else x for x in labels]), 5).float()
    assert decode(text, offsets, probs, fields) == {"city": "New York", "time": "tomorrow"}
    assert decode(text, offsets, torch.nn.functional.one_hot(torch.zeros(7, dtype=torch.long), 5).float(), fields) == {
        "city": None,
        "time": None,
    }


def test_the_most_confident_of_two_spans_answers() -> None:
    import torch

    text = "Oslo or Bergen"
    offsets = [(0, 4), (5, 7), (8, 14)]
    probs = torch.tensor([[0.3, 0.7, 0.0], [1.0, 0.0, 0.0], [0.1, 0.9, 0.0]])
    assert decode(text, offsets, probs, ["city"]) == {"city": "Bergen"}


def test_a_module_gets_a_tagger_only_when_its_answers_are_spans_of_its_inputs() -> None:
    spec = _spec({"city": OPTIONAL})
    copied = [_example(f"weather in {c}", {"city": c}) for c in ("Oslo", "Rome", "Lima", "Kyiv", "Bern")]
    rows, aligned = tagger_rows(spec, copied) or ([], 0.0)
    assert len(rows) == 5 and aligned == 1.0 and rows[0] == ("weather in Oslo", {"city": "Oslo"})
    rewritten = [_example(f"weather in {c}", {"city": c.upper() + "-CITY"}) for c in ("Oslo", "Rome", "Lima", "Kyiv")]
    assert tagger_rows(spec, rewritten + copied[:1]) is None  # values not copied from the input
    assert tagger_rows(spec, copied[:3]) is None  # too few
    assert tagger_rows(_spec({"n": {"type": "integer"}}), copied) is None


def test_a_tagger_target_reads_routes_and_takes_no_examples() -> None:
    route = Route(champion="tagger:slots@abc", examples=4)
    step = parse_target("tagger:slots@abc", route)
    assert step.tagger and step.adapter == "slots@abc" and step.rung is Rung.TAGGER and not step.vote
    assert champion_target(route) == "tagger:slots@abc"
    assert route_steps(route, route.champion, explicit=False)[0] == Step("tagger:slots@abc")
    for bad in ("tagger:", "tagger:slots@abc+examples:2"):
        with pytest.raises(InvalidInputError):
            parse_target(bad, route)
    rungs = gate_rungs(Route(champion="base", examples=4), "slots@new", models=("tagger:slots@new",))
    assert rungs == ["base+examples:4", "tagger:slots@new", "slots@new", "slots@new+examples:4"]
    rungs = gate_rungs(route, "slots@new", models=("tagger:slots@new",))
    assert rungs == ["tagger:slots@abc", "tagger:slots@new", "slots@new", "slots@new+examples:4"]

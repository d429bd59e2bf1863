from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from agentforge.artifacts import Example, RouteTaken
from agentforge.learn.dataset import (
    AlpacaRecord,
    TrainItem,
    data_hash,
    dedupe_examples,
    export_alpaca,
    input_key,
    split_examples,
)
from agentforge.llm.base import Message


def example(text: str, target: str = "x", *, trace: str = "t", **extra: object) -> Example:
    return Example(
        trace_id=trace,
        module_id="app.py::classify",
        input={"text": text, **extra},
        target=target,
        route=RouteTaken(model="smollm2-135m-instruct"),
    )


def inputs(examples: list[Example]) -> set[str]:
    return {e.input["text"] for e in examples}


def test_input_key_ignores_key_order() -> None:
    a = Example.model_validate({**example("hi").model_dump(), "input": {"text": "hi", "n": 1}})
    b = Example.model_validate({**example("hi").model_dump(), "input": {"n": 1, "text": "hi"}})
    assert input_key(a) == input_key(b)
    assert input_key(a) != input_key(example("hi"))


def test_split_is_stable_under_shuffling_and_growth() -> None:
    examples = [example(f"message {i}") for i in range(300)]
    train, held = split_examples(examples)
    shuffled = examples[:]
    random.Random(7).shuffle(shuffled)
    train2, held2 = split_examples(shuffled)
    assert inputs(train) == inputs(train2) and inputs(held) == inputs(held2)
    # A subset (fewer examples) and a superset (more examples) keep every input on its side.
    sub_train, sub_held = split_examples(examples[:50])
    assert inputs(sub_train) <= inputs(train) and inputs(sub_held) <= inputs(held)
    more_train, more_held = split_examples([*examples, *(example(f"new {i}") for i in range(100))])
    assert inputs(train) <= inputs(more_train) and inputs(held) <= inputs(more_held)


def test_split_fraction_is_about_right() -> None:
    examples = [example(f"message {i}") for i in range(1000)]
    train, held = split_examples(examples, holdout_fraction=0.2)
    assert len(train) + len(held) == 1000
    assert 0.16 <= len(held) / 1000 <= 0.24
    assert split_examples(examples, holdout_fraction=0.0)[1] == []


def test_split_rejects_a_bad_fraction() -> None:
    with pytest.raises(ValueError, match="holdout_fraction"):
        split_examples([], holdout_fraction=1.0)


def test_dedupe_keeps_the_latest_and_never_straddles() -> None:
    examples = [example(f"m{i}", "old", trace=f"a{i}") for i in range(200)]
    examples += [example(f"m{i}", "new", trace=f"b{i}") for i in range(0, 200, 2)]
    deduped = dedupe_examples(examples)
    assert len(deduped) == 200
    by_text = {e.input["text"]: e for e in deduped}
    assert by_text["m0"].target == "new" and by_text["m0"].trace_id == "b0"
    assert by_text["m1"].target == "old"
    train, held = split_examples(examples)
    assert len(train) + len(held) == 200
    assert not inputs(train) & inputs(held)
    assert all(e.target == "new" for e in train + held if int(e.input["text"][1:]) % 2 == 0)


def test_export_alpaca(tmp_path: Path) -> None:
    item = TrainItem(
        messages=[
            Message(role="system", content="Label the ticket."),
            Message(role="user", content="My card was charged twice."),
        ],
        target="billing",
    )
    no_system = TrainItem(messages=[Message(role="user", content="Say hi.")], target="hi")
    path = tmp_path / "out" / "train.jsonl"
    count = export_alpaca(
        [item, no_system, ("Translate.", "chat", "Katze"), AlpacaRecord(instruction="i", output="o")], path
    )
    assert count == 4
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows == [
        {"instruction": "Label the ticket.", "input": "My card was charged twice.", "output": "billing"},
        {"instruction": "Say hi.", "input": "", "output": "hi"},
        {"instruction": "Translate.", "input": "chat", "output": "Katze"},
        {"instruction": "i", "input": "", "output": "o"},
    ]
    assert all(list(json.loads(line)) == ["instruction", "input", "output"] for line in lines)
    assert [p.name for p in path.parent.iterdir()] == ["train.jsonl"]  # no temp file left


def test_data_hash_is_content_and_order_sensitive() -> None:
    a = TrainItem(messages=[Message(role="user", content="a")], target="1")
    b = TrainItem(messages=[Message(role="user", content="b")], target="2")
    same_a = TrainItem(messages=[Message(role="user", content="a")], target="1")
    assert data_hash([a, b]) == data_hash([same_a, b])
    assert data_hash([a, b]) != data_hash([b, a])
    assert data_hash([a]) != data_hash([a, b])
    assert len(data_hash([])) == 64

from __future__ import annotations

import pytest

from agentforge.errors import CatalogError
from agentforge.learn.metrics import (
    METRICS,
    exact_match,
    field_f1,
    mae,
    metric_for,
    text_similarity,
)


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        ("Billing", "billing", 1.0),
        ("  billing\n", "billing", 1.0),
        ("bill ing", "billing", 0.0),
        ("billing support", "billing  Support", 1.0),
        (1.0000001, 1, 1.0),
        (1.01, 1, 0.0),
        (True, 1, 0.0),
        (None, None, 1.0),
        (None, "x", 0.0),
        ({"a": "X", "b": [1, 2]}, {"b": [1.0, 2], "a": "x"}, 1.0),
        ({"a": "x", "b": None}, {"a": "x"}, 1.0),
        ([1, 2], [2, 1], 0.0),
    ],
)
def test_exact_match(pred: object, gold: object, expected: float) -> None:
    assert exact_match(pred, gold) == expected


def test_field_f1_hand_computed() -> None:
    gold = {"name": "Ada Lovelace", "city": "London", "year": 1815, "email": None}
    # 4 fields on each side are correct: perfect.
    assert field_f1({"name": "ada  lovelace", "city": "LONDON", "year": 1815.0, "email": None}, gold) == 1.0
    # Absent where the gold is null still counts as the right null.
    assert field_f1({"name": "Ada Lovelace", "city": "London", "year": 1815}, gold) == 1.0
    # 2 right (name, email null) of 3 predicted non-null+null-hits and 4 gold fields:
    # precision 2/3, recall 2/4 -> F1 = 2 * (2/3 * 1/2) / (2/3 + 1/2) = 4/7.
    assert field_f1({"name": "Ada Lovelace", "city": "Paris"}, gold) == pytest.approx(4 / 7)
    # A value where the gold says null is a wrong field: correct 3 (name, city, year), pred 4, gold 3
    # non-null -> precision 3/4, recall 3/3 -> F1 = 6/7.
    assert field_f1({"name": "Ada Lovelace", "city": "London", "year": 1815, "email": "a@b"}, gold) == (
        pytest.approx(6 / 7)
    )


def test_field_f1_nulls_and_empties() -> None:
    assert field_f1({}, {}) == 1.0
    assert field_f1({"a": None}, {}) == 1.0  # a null the gold does not have counts for nothing
    assert field_f1({"a": "x"}, {}) == 0.0
    assert field_f1({}, {"a": "x"}) == 0.0
    assert field_f1({"a": None}, {"a": None}) == 1.0
    assert field_f1({"a": "x"}, {"a": None}) == 0.0
    assert field_f1("not an object", {"a": "x"}) == 0.0
    # Extra non-null field: precision 1/2, recall 1 -> 2/3.
    assert field_f1({"a": "x", "b": "y"}, {"a": "x"}) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="JSON object as gold"):
        field_f1({}, ["a"])


def test_text_similarity_is_token_f1() -> None:
    assert text_similarity("The cat sat.", "the CAT sat") == 1.0
    # pred tokens: the, cat, sat, down (4); gold: the, cat, sat (3); common 3
    # -> precision 3/4, recall 1 -> F1 = 6/7.
    assert text_similarity("the cat sat down", "the cat sat") == pytest.approx(6 / 7)
    # repeated words count at most as often as in both: common {the: 1} -> p 1/2, r 1/2.
    assert text_similarity("the the", "the dog") == pytest.approx(0.5)
    assert text_similarity("dog", "cat") == 0.0
    assert text_similarity("", "") == 1.0
    assert text_similarity("", "cat") == 0.0
    assert text_similarity("!!", "!!") == 1.0
    assert text_similarity({"a": 1}, {"a": 1}) == 1.0


def test_mae() -> None:
    assert mae(3, 5) == 2.0
    assert mae("4.5", 4) == 0.5
    assert mae("four", 10) == 10.0  # unusable: max(1, |gold|)
    assert mae(None, 0.25) == 1.0
    with pytest.raises(ValueError, match="numeric gold"):
        mae(1, "ten")


def test_registry() -> None:
    assert set(METRICS) >= {"exact_match", "field_f1", "similarity", "mae"}  # the catalog's names
    assert metric_for("exact_match")("A", "a") == 1.0
    assert metric_for("mae").score(3, 5) == -2.0
    assert metric_for("similarity").score("a b", "a b") == 1.0
    with pytest.raises(CatalogError, match=r"unknown metric 'bleu'; known: .*exact_match"):
        metric_for("bleu")


def test_catalog_metrics_are_registered() -> None:
    catalog = pytest.importorskip("agentforge.catalog")
    for kind in catalog.load_catalog().kinds.values():
        metric_for(kind.metric)

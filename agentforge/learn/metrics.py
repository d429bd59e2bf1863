"""Per-example metrics of the module kinds, and their registry.

Every metric takes `(pred, gold)` for one example and returns a float. `Metric.score` orients it so
that higher is better (the gate compares oriented scores): the bounded metrics are already in [0, 1],
and `mae` is negated.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agentforge.errors import CatalogError

__all__ = [
    "METRICS",
    "Metric",
    "exact_match",
    "field_f1",
    "mae",
    "metric_for",
    "normalize_text",
    "text_similarity",
    "values_equal",
]

NUMBER_TOLERANCE = 1e-6

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalize_text(text: str) -> str:
    """Case-folded, with runs of whitespace collapsed to one space and the ends stripped."""
    return " ".join(text.casefold().split())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def values_equal(pred: Any, gold: Any) -> bool:
    """Equality after normalisation: strings ignore case and whitespace, numbers agree within 1e-6,
    lists compare element-wise and objects key-wise with the same rules (an absent key reads as null);
    `None` equals only `None`."""
    if pred is None or gold is None:
        return pred is None and gold is None
    if isinstance(gold, bool) or isinstance(pred, bool):
        return pred is gold
    if _is_number(gold) and _is_number(pred):
        return math.isclose(float(pred), float(gold), rel_tol=0.0, abs_tol=NUMBER_TOLERANCE)
    if isinstance(gold, str) and isinstance(pred, str):
        return normalize_text(pred) == normalize_text(gold)
    if isinstance(gold, list) and isinstance(pred, list):
        return len(pred) == len(gold) and all(values_equal(p, g) for p, g in zip(pred, gold, strict=True))
    if isinstance(gold, Mapping) and isinstance(pred, Mapping):
        return all(values_equal(pred.get(k), gold.get(k)) for k in pred.keys() | gold.keys())
    return False


def exact_match(pred: Any, gold: Any) -> float:
    """1.0 when `values_equal(pred, gold)`, else 0.0 (labels, whole JSON values)."""
    return 1.0 if values_equal(pred, gold) else 0.0


def field_f1(pred: Any, gold: Any) -> float:
    """F1 over the fields of two JSON objects.

    A field is correct when `values_equal` holds for it. Precision is over the prediction's non-null
    fields and recall over the gold's non-null fields, except that a field which is null in the gold
    and null (or absent) in the prediction counts as one correct field on both sides; a null the gold
    does not have counts for nothing. Both sides without fields gives 1.0. A prediction that is not an
    object has no fields.
    """
    if not isinstance(gold, Mapping):
        raise ValueError(f"field_f1 needs a JSON object as gold, got {type(gold).__name__}")
    pred_map: Mapping[str, Any] = pred if isinstance(pred, Mapping) else {}
    null_hits = sum(1 for k, v in gold.items() if v is None and pred_map.get(k) is None)
    pred_fields = sum(1 for v in pred_map.values() if v is not None) + null_hits
    gold_fields = sum(1 for v in gold.values() if v is not None) + null_hits
    if pred_fields == 0 and gold_fields == 0:
        return 1.0
    correct = null_hits + sum(
        1 for k, v in gold.items() if v is not None and k in pred_map and values_equal(pred_map[k], v)
    )
    if correct == 0:
        return 0.0
    precision = correct / pred_fields
    recall = correct / gold_fields
    return 2 * precision * recall / (precision + recall)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _tokens(text: str) -> list[str]:
    return _PUNCT.sub(" ", text.casefold()).split()


def text_similarity(pred: Any, gold: Any) -> float:
    """Token-level F1 (SQuAD style) between two texts, in [0, 1].

    Both texts are case-folded, punctuation becomes whitespace, and the word multisets are compared:
    word order does not matter, repeated words count as often as they occur in both. Two texts without
    any word give 1.0 when they are equal after normalisation and otherwise `difflib`'s character ratio
    (so texts made only of punctuation or symbols still compare). Non-strings are compared as JSON.
    """
    pred_text, gold_text = _as_text(pred), _as_text(gold)
    pred_tokens, gold_tokens = _tokens(pred_text), _tokens(gold_text)
    if not pred_tokens and not gold_tokens:
        a, b = normalize_text(pred_text), normalize_text(gold_text)
        return 1.0 if a == b else difflib.SequenceMatcher(None, a, b).ratio()
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred_tokens)
    recall = common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _as_number(value: Any) -> float | None:
    if _is_number(value):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def mae(pred: Any, gold: Any) -> float:
    """Absolute error `|pred - gold|` of one example (its mean over examples is the MAE).

    Numeric strings count as numbers. A prediction that is not a finite number is scored as an error of
    `max(1, |gold|)`: at least as wrong as answering 0 and at least one unit off, so that every score
    stays finite. The gold must be a number.
    """
    gold_number = _as_number(gold)
    if gold_number is None:
        raise ValueError(f"mae needs a numeric gold value, got {gold!r}")
    pred_number = _as_number(pred)
    if pred_number is None:
        return max(1.0, abs(gold_number))
    return abs(pred_number - gold_number)


@dataclass(frozen=True)
class Metric:
    """A named per-example metric and its direction."""

    name: str
    fn: Callable[[Any, Any], float]
    higher_is_better: bool = True

    def __call__(self, pred: Any, gold: Any) -> float:
        return self.fn(pred, gold)

    def score(self, pred: Any, gold: Any) -> float:
        """The metric oriented so that higher is better (negated when lower is better)."""
        value = self.fn(pred, gold)
        return value if self.higher_is_better else -value


METRICS: dict[str, Metric] = {
    "exact_match": Metric("exact_match", exact_match),
    "field_f1": Metric("field_f1", field_f1),
    "similarity": Metric("similarity", text_similarity),
    "text_similarity": Metric("text_similarity", text_similarity),
    "mae": Metric("mae", mae, higher_is_better=False),
}
"""The metrics a module kind may name (`metric:` in `modules/*.yaml`)."""


def metric_for(name: str) -> Metric:
    """The registered metric called `name`; `CatalogError` listing the known names otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise CatalogError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}") from None

"""Retrieval over a module's corrections: the most similar past corrections, to show the model as examples.

Corrections help at once, before any training: a call's prompt can carry the `k` stored examples
(`Store.list_examples`) whose inputs are most like its own. The default retriever is BM25 in pure Python;
`agentforge.runtime.embeddings.MiniLMRetriever` ranks by sentence embeddings instead, when its model is installed.

Rules every retriever follows:
- one example per distinct input, the latest correction (`learn.dataset.dedupe_examples`);
- ties go to the input first seen later (the newer one), so a ranking never depends on dict or set order;
- `Exclusion` removes examples before ranking. An evaluation must never be shown the example it scores:
  `Exclusion.evaluation()` drops every example in the held-out split (`learn.dataset.is_held_out`, the split the
  gate scores on) and any example with the query's own input; `Engine.invoke(record=False)` uses it unless told
  otherwise.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentforge.artifacts import Example, RouteTaken
from agentforge.learn.dataset import canonical_json, dedupe_examples, input_key, is_held_out

__all__ = [
    "HELD_OUT_FRACTION",
    "BM25Retriever",
    "ExampleIndex",
    "Exclusion",
    "Retriever",
    "Scorer",
    "query_key",
]

HELD_OUT_FRACTION = 0.2
"""The share of inputs the learning loop holds out (`learn.dataset.split_examples`' default)."""


def query_key(inputs: dict[str, Any]) -> str:
    """The input key (`learn.dataset.input_key`) an example with these inputs would have."""
    return input_key(Example(trace_id="", module_id="", input=inputs, target=None, route=RouteTaken(model="")))


@dataclass(frozen=True)
class Exclusion:
    """Examples a retrieval must not return."""

    held_out_fraction: float = 0.0
    """Drop examples whose input falls in this held-out share (0: none), as `learn.dataset.is_held_out` says."""
    same_input: bool = False
    """Drop an example whose input is the query's own."""
    trace_ids: frozenset[str] = field(default_factory=frozenset)
    """Drop these examples, by the trace they correct."""

    @classmethod
    def evaluation(cls, held_out_fraction: float = HELD_OUT_FRACTION) -> Exclusion:
        """What a scoring call must not see: the held-out split and the input being scored."""
        return cls(held_out_fraction=held_out_fraction, same_input=True)

    def allows(self, example: Example, key: str, query: str) -> bool:
        if example.trace_id in self.trace_ids or (self.same_input and key == query):
            return False
        return not (self.held_out_fraction > 0 and is_held_out(key, self.held_out_fraction))


class Scorer(Protocol):
    """Similarity of a query to each indexed document, in index order (higher is more similar)."""

    def scores(self, query: str) -> list[float]: ...


class ExampleIndex:
    """A module's examples (deduplicated, oldest first) and a scorer over their rendered inputs."""

    def __init__(self, examples: Sequence[Example], scorer: Scorer, *, min_score: float = 0.0) -> None:
        self.examples = list(examples)
        self.keys = [input_key(e) for e in self.examples]
        self._scorer = scorer
        self._min_score = min_score

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def scorer(self) -> Scorer:
        """What ranks the examples (an embedding scorer also gives their vectors, for `runtime/head.py`)."""
        return self._scorer

    def search(self, inputs: dict[str, Any], k: int, exclude: Exclusion | None = None) -> list[Example]:
        """The `k` most similar allowed examples, most similar first (ties: the newer input first).

        Only examples scoring above the index's `min_score` count as similar (BM25: sharing a term)."""
        if k <= 0 or not self.examples:
            return []
        return [e for _, e in self.scored(inputs, exclude, similar_only=True)[:k]]

    def scored(
        self, inputs: dict[str, Any], exclude: Exclusion | None = None, *, similar_only: bool = False
    ) -> list[tuple[float, Example]]:
        """Every allowed example with its similarity to `inputs`, most similar first (ties: the newer input
        first); with `similar_only`, only those above the index's `min_score`."""
        if not self.examples:
            return []
        exclude = exclude or Exclusion()
        query = query_key(inputs) if exclude.same_input else ""
        scores = self._scorer.scores(document_text(inputs))
        floor = self._min_score if similar_only else -math.inf
        ranked = sorted((i for i, s in enumerate(scores) if s > floor), key=lambda i: (-scores[i], -i))
        return [(scores[i], self.examples[i]) for i in ranked if exclude.allows(self.examples[i], self.keys[i], query)]


class Retriever(Protocol):
    """Builds the index of one module's examples (the engine caches it per module and store state)."""

    name: str
    embeds: bool
    """Whether its scores come from vectors (`runtime/head.py` fits a `head` rung on them)."""

    def index(self, examples: Sequence[Example]) -> ExampleIndex: ...


def document_text(inputs: dict[str, Any]) -> str:
    """The text an input is retrieved by: its values (field names are in every document and tell nothing)."""
    return "\n".join(v if isinstance(v, str) else canonical_json(v) for v in inputs.values())


_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, underscore)."""
    return _TOKEN.findall(text.lower())


class BM25Scorer:
    """Okapi BM25 (with the non-negative `log(1 + ...)` idf of Lucene) over a fixed list of documents."""

    def __init__(self, documents: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self._k1, self._b = k1, b
        self._docs = [Counter(tokenize(d)) for d in documents]
        self._lengths = [sum(d.values()) for d in self._docs]
        self._avg = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.keys())
        n = len(self._docs)
        self._idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in df.items()}
        self._postings: dict[str, list[int]] = {}
        for i, doc in enumerate(self._docs):
            for term in doc:
                self._postings.setdefault(term, []).append(i)

    def scores(self, query: str) -> list[float]:
        out = [0.0] * len(self._docs)
        k1, b, avg = self._k1, self._b, self._avg or 1.0
        for term in set(tokenize(query)):
            idf = self._idf.get(term)
            if idf is None:
                continue
            for i in self._postings[term]:
                tf = self._docs[i][term]
                out[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * self._lengths[i] / avg))
        return out


class BM25Retriever:
    """The default retriever: BM25 over the examples' rendered inputs; no dependency, no model."""

    name = "bm25"
    embeds = False

    def index(self, examples: Sequence[Example]) -> ExampleIndex:
        unique = dedupe_examples(examples)
        return ExampleIndex(unique, BM25Scorer([document_text(e.input) for e in unique]))

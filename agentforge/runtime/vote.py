"""The corrections answer by themselves: a nearest-neighbour vote, or the answer of the nearest centroid.

For a module that puts inputs into labels, the label of the most similar past correction is a strong baseline
(on BANKING77 with all-MiniLM-L6-v2, 82.6 % at ten corrections per intent, above the 135M model with or without
an adapter), and it costs a retrieval, not a model call. So it is a rung of the ladder like any other: the gate
scores it on held-out corrections beside the model's rungs, and a route serves it when it wins.

A centroid's similarity is the mean similarity of its answer's corrections (for unit-length embeddings exactly
the cosine with their mean, scaled by its length), so it needs no vectors of its own and works with any scorer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agentforge.artifacts import Example
from agentforge.errors import NotFoundError
from agentforge.runtime.retrieval import ExampleIndex, Exclusion

__all__ = ["vote"]


def vote(
    index: ExampleIndex,
    inputs: dict[str, Any],
    *,
    neighbours: int,
    centroid: bool,
    exclude: Exclusion,
    fits: Callable[[Any], bool],
) -> tuple[Any, list[Example]]:
    """The answer the module's corrections give `inputs`, and the corrections that gave it (most similar first).

    `neighbours` corrections vote (a majority; a tie goes to the answer of greater total similarity, then to the
    nearer neighbour's); with `centroid`, every correction does, through its answer's mean similarity. Answers
    that no longer fit the module's output (`fits`: the contract changed since they were given) do not vote.
    NotFoundError when no correction can."""
    scored = index.scored(inputs, exclude, similar_only=not centroid)
    ranked = [(score, example) for score, example in scored if fits(example.target)]
    if not ranked:
        raise NotFoundError("no stored correction of this module can answer (none, or none similar to the input)")
    if centroid:
        return _centroid(ranked)
    return _majority(ranked[: max(neighbours, 1)])


def _groups(ranked: list[tuple[float, Example]]) -> list[list[tuple[float, Example]]]:
    """The ranked corrections by answer, each group most similar first, groups in order of their nearest one."""
    groups: dict[str, list[tuple[float, Example]]] = {}
    for item in ranked:
        groups.setdefault(json.dumps(item[1].target, sort_keys=True, ensure_ascii=False), []).append(item)
    return list(groups.values())


def _majority(ranked: list[tuple[float, Example]]) -> tuple[Any, list[Example]]:
    groups = _groups(ranked)
    order = {id(g): i for i, g in enumerate(groups)}
    best = max(groups, key=lambda g: (len(g), sum(s for s, _ in g), -order[id(g)]))
    return best[0][1].target, [e for _, e in best]


def _centroid(ranked: list[tuple[float, Example]]) -> tuple[Any, list[Example]]:
    groups = _groups(ranked)
    order = {id(g): i for i, g in enumerate(groups)}
    best = max(groups, key=lambda g: (sum(s for s, _ in g) / len(g), -order[id(g)]))
    return best[0][1].target, [best[0][1]]

"""Which rungs the gate puts side by side after a training job, and which one the route moves to.

Every rung answers the same held-out corrections (`learn.loop.evaluate`); `learn.gate.decide` compares each
candidate with the champion; the best that passes wins, ties going to the cheaper to serve (the order here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentforge.artifacts import EvalReport, Example, Route
from agentforge.learn.dataset import input_key
from agentforge.runtime.targets import (
    BASE,
    CENTROID,
    DEFAULT_EXAMPLES,
    HEAD,
    NEAREST,
    STATIC,
    Step,
    champion_target,
    parse_target,
)

__all__ = [
    "GATE_MAX_HELDOUT",
    "VOTE_RUNGS",
    "Evaluation",
    "gate_rungs",
    "gate_sample",
    "judge_rungs",
    "label_votes",
]


@dataclass
class Evaluation:
    target: str
    scores: list[float]
    valid: list[bool]
    outputs: list[Any]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0


def judge_rungs(
    route: Route, adapter: str, candidates: list[Evaluation], decisions: list[EvalReport]
) -> tuple[EvalReport, Step | None]:
    """The adapter's report, and the rung the route moves to (None: it stays).

    The winner is the best-scoring rung that passes the gate against the champion; on a tie the one listed first
    in `gate_rungs`, the cheaper to serve. The report is the adapter's: its winning rung's decision, else its
    best rung's, marked not promoted when a rung without it won.
    """
    passed = [i for i, d in enumerate(decisions) if d.promoted]
    best = max(passed, key=lambda i: (candidates[i].mean, -i)) if passed else None
    winner = parse_target(candidates[best].target, route) if best is not None else None
    if best is not None and winner is not None and winner.adapter == adapter:
        return decisions[best], winner
    own = [i for i, c in enumerate(candidates) if parse_target(c.target, route).adapter == adapter]
    mine = max(own, key=lambda i: (candidates[i].mean, -i))
    report = decisions[mine]
    if best is not None:
        other = candidates[best]
        reason = (
            f"not promoted: {other.target} scores {other.mean:.4f} without this adapter "
            f"(its best rung {candidates[mine].target}: {candidates[mine].mean:.4f}) and now serves; {report.reason}"
        )
        report = report.model_copy(update={"promoted": False, "reason": reason})
    return report, winner


GATE_MAX_HELDOUT = 200
"""Most held-out examples one gate decision scores (each rung answers every one of them); beyond it the interval
is narrow enough and the evaluation would cost more than the training."""


def gate_sample(held: list[Example]) -> list[Example]:
    """The held-out examples the gate scores: all of them up to `GATE_MAX_HELDOUT`, else that many, chosen by
    input hash (so the same ones every time, whatever their order)."""
    if len(held) <= GATE_MAX_HELDOUT:
        return held
    return sorted(held, key=input_key)[:GATE_MAX_HELDOUT]


VOTE_RUNGS = (f"{NEAREST}:1", f"{NEAREST}:5", CENTROID)
"""The corrections' own answers a label module's gate also scores: the nearest one, a majority of five, and the
nearest centroid (the classic points from least to most smoothing; the held-out split picks among them)."""


def label_votes(embeds: bool) -> tuple[str, ...]:
    """The rungs without a model a label module's gate scores: the votes, and with an embedding retriever
    (`embeds`) the linear head on its vectors (`runtime/head.py`)."""
    return (*VOTE_RUNGS, HEAD) if embeds else VOTE_RUNGS


def gate_rungs(route: Route, adapter: str, *, votes: Sequence[str] = (), models: Sequence[str] = ()) -> list[str]:
    """The targets the gate puts side by side: the champion as it answers now, then the candidates from the cheapest
    to serve: the `votes` (`label_votes`, for a label module) but the champion, the new version's other `models`
    (its tagger: an encoder call), then the new adapter alone, the champion's model with retrieved examples (when it
    answers without them), the new adapter with examples."""
    k = route.examples or DEFAULT_EXAMPLES
    champion = champion_target(route)
    first = parse_target(champion, route)
    rungs = [champion, *(v for v in votes if parse_target(v, route) != first), *models, adapter]
    if first.vote:
        rungs.append(f"{BASE}+examples:{k}")
    elif champion != STATIC and first.examples == 0 and not first.tagger:
        rungs.append(f"{champion}+examples:{k}")
    return [*rungs, f"{adapter}+examples:{k}"]

"""Which of the rungs without a model goes before the gate: chosen by cross-validation on the training corrections.

The gate's held-out split is sized for comparing a candidate with the champion, not for choosing among several
candidates that are close: at five corrections per intent BANKING77's is 73 corrections for 77 labels, and
`nearest:1` beat the linear head there by one correction while the head is four points better on the whole test
split. The votes and the head cost a retrieval and a small fit, so they can be scored on every training
correction instead: each of `FOLDS` folds (by input hash) is answered from the corrections of the others, the
held-out split excluded throughout. The best of them by mean score, ties going to the cheaper, is the one the gate
puts against the champion on the held-out split, which so stays untouched by the choice.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentforge.artifacts import Example, ModuleSpec
from agentforge.errors import AgentforgeError
from agentforge.learn.dataset import input_key
from agentforge.learn.metrics import metric_for
from agentforge.runtime import Engine
from agentforge.runtime.retrieval import HELD_OUT_FRACTION, Exclusion

__all__ = ["FOLDS", "best_vote", "cross_validate_votes"]

FOLDS = 5


def _fold(example: Example) -> int:
    """The example's fold: digits of its input hash that neither the held-out split (the first ones) nor the
    head's penalty choice (the last ones) uses."""
    return int(input_key(example)[16:24], 16) % FOLDS


async def cross_validate_votes(
    engine: Engine, spec: ModuleSpec, train: list[Example], votes: Sequence[str]
) -> dict[str, float]:
    """Each vote's mean score over the training corrections, every fold answered from the other folds alone."""
    if not votes or not train:
        return {}
    plan = engine.store.get_module_plan(engine.workspace_id, spec.id)
    metric = metric_for(engine.catalog.kind(plan.kind).metric)
    folds: list[list[Example]] = [[] for _ in range(FOLDS)]
    for example in train:
        folds[_fold(example)].append(example)
    totals = dict.fromkeys(votes, 0.0)
    for fold in folds:
        if not fold:
            continue
        exclude = Exclusion(
            held_out_fraction=HELD_OUT_FRACTION, same_input=True, trace_ids=frozenset(e.trace_id for e in fold)
        )
        for vote in votes:
            for example in fold:
                try:
                    trace = await engine.invoke(spec.id, example.input, target=vote, record=False, exclude=exclude)
                    output = None if trace.fallback_used else trace.output
                except AgentforgeError:
                    output = None
                totals[vote] += metric.score(output, example.target)
    return {vote: total / len(train) for vote, total in totals.items()}


def best_vote(scores: dict[str, float], votes: Sequence[str]) -> str | None:
    """The best-scoring vote, the cheaper (listed first) on a tie; None when there is none."""
    scored = [v for v in votes if v in scores]
    return max(scored, key=lambda v: (scores[v], -scored.index(v))) if scored else None

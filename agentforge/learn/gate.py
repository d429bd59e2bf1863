"""The evaluation gate: promote a candidate adapter only when it measurably beats the champion.

Both models answer the same held-out examples. Per example, `gain = candidate - champion` (scores
oriented so that higher is better, see `Metric.score`). The candidate is promoted when both rules hold:

1. validity: its schema-validity rate is at least the champion's;
2. gain: the lower end of the 95% paired-bootstrap confidence interval of the mean gain is above
   `min_gain`.

A tie, or a gain within the noise of a small held-out set, is not promoted.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from agentforge.artifacts import EvalReport

__all__ = ["CONFIDENCE", "bootstrap_ci", "decide"]

CONFIDENCE = 0.95


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of an ascending sequence."""
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def bootstrap_ci(
    values: Sequence[float], *, n_boot: int = 1000, seed: int = 0, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of `values` (seeded, so reproducible)."""
    if not values:
        raise ValueError("bootstrap_ci needs at least one value")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    rng = random.Random(seed)
    n = len(values)
    means = sorted(math.fsum(rng.choices(values, k=n)) / n for _ in range(n_boot))
    tail = (1.0 - confidence) / 2
    return _quantile(means, tail), _quantile(means, 1.0 - tail)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def decide(
    module_id: str,
    metric: str,
    champion_name: str,
    candidate_name: str,
    champion_scores: Sequence[float],
    candidate_scores: Sequence[float],
    champion_valid: Sequence[bool],
    candidate_valid: Sequence[bool],
    *,
    min_gain: float = 0.0,
    n_boot: int = 1000,
    seed: int = 0,
) -> EvalReport:
    """Compare candidate and champion on the same held-out examples and decide on promotion.

    The four sequences are per held-out example, in the same order. Scores must be finite and oriented
    so that higher is better. `margin` in the report is the observed mean gain; `reason` names the rule
    that decided, with its numbers.
    """
    n = len(champion_scores)
    lengths = {len(champion_scores), len(candidate_scores), len(champion_valid), len(candidate_valid)}
    if len(lengths) != 1:
        raise ValueError(
            "scores and validity flags must be per held-out example and of one length, got "
            f"{len(champion_scores)}, {len(candidate_scores)}, {len(champion_valid)}, {len(candidate_valid)}"
        )
    for label, scores in (("champion", champion_scores), ("candidate", candidate_scores)):
        bad = next((i for i, s in enumerate(scores) if not math.isfinite(s)), None)
        if bad is not None:
            raise ValueError(f"{label} score {bad} is {scores[bad]}; scores must be finite")

    champion_score, candidate_score = _mean(champion_scores), _mean(candidate_scores)
    champion_validity = _mean([1.0 if v else 0.0 for v in champion_valid])
    candidate_validity = _mean([1.0 if v else 0.0 for v in candidate_valid])

    def report(promoted: bool, margin: float, reason: str) -> EvalReport:
        return EvalReport(
            module_id=module_id,
            metric=metric,
            n=n,
            champion=champion_name,
            candidate=candidate_name,
            champion_score=champion_score,
            candidate_score=candidate_score,
            champion_validity=champion_validity,
            candidate_validity=candidate_validity,
            margin=margin,
            promoted=promoted,
            reason=reason,
        )

    if n == 0:
        return report(False, 0.0, "not promoted: the held-out set is empty, so there is no evidence of a gain")

    gains = [c - b for c, b in zip(candidate_scores, champion_scores, strict=True)]
    margin = _mean(gains)
    low, high = bootstrap_ci(gains, n_boot=n_boot, seed=seed)
    ci = (
        f"mean gain {margin:+.4f} on {n} held-out examples, "
        f"{CONFIDENCE:.0%} CI [{low:+.4f}, {high:+.4f}] (paired bootstrap, {n_boot} resamples)"
    )
    validity = f"schema validity {candidate_validity:.1%} vs champion {champion_validity:.1%}"
    validity_ok = candidate_validity >= champion_validity
    gain_ok = low > min_gain

    if validity_ok and gain_ok:
        reason = f"promoted: {ci}; CI lower bound {low:+.4f} > min_gain {min_gain:+.4f}; {validity}"
        return report(True, margin, reason)
    failures: list[str] = []
    if not validity_ok:
        failures.append(f"validity rule: {validity} (the candidate must not be less valid)")
    if not gain_ok:
        failures.append(f"gain rule: {ci}; CI lower bound {low:+.4f} is not above min_gain {min_gain:+.4f}")
    return report(False, margin, "not promoted: " + "; ".join(failures))

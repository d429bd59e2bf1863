"""Risk aggregation over flagged clauses."""

from __future__ import annotations

from collections import Counter

from .config import ESCALATION_SCORE, RISK_WEIGHTS
from .models import RiskFlag


def risk_score(flags: list[RiskFlag]) -> int:
    """Sum of the policy weight of each flag's level (0 for no flags)."""
    return sum(RISK_WEIGHTS[flag.level] for flag in flags)


def level_counts(flags: list[RiskFlag]) -> dict[str, int]:
    """How many flags there are at each level, always with all three keys."""
    counts = Counter(flag.level for flag in flags)
    return {level: counts.get(level, 0) for level in ("low", "medium", "high")}


def needs_escalation(flags: list[RiskFlag]) -> bool:
    """True when any flag is high or the total score reaches the threshold."""
    return any(flag.level == "high" for flag in flags) or risk_score(flags) >= ESCALATION_SCORE

"""Static settings of the contract reviewer."""

from __future__ import annotations

REVIEW_POLICY_VERSION = "2024-06"
RISK_WEIGHTS = {"low": 1, "medium": 3, "high": 8}
ESCALATION_SCORE = 10
MAX_CONTRACT_CHARS = 200_000


def review_policy_version() -> str:
    """Version of the internal review policy printed on every report."""
    return REVIEW_POLICY_VERSION

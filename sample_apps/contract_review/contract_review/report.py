"""Review assembly and report formatting."""

from __future__ import annotations

from pydantic import BaseModel

from .config import review_policy_version
from .models import Clause, RiskFlag
from .reviewer import extract_clauses, flag_risks, summarize_contract
from .scoring import level_counts, needs_escalation, risk_score
from .text import normalize_whitespace, word_count


class Review(BaseModel):
    """The result of reviewing one contract."""

    summary: str
    word_count: int
    findings: list[tuple[Clause, RiskFlag]]
    score: int
    escalate: bool


def review_contract(contract_text: str) -> Review:
    """Run the full review: extract clauses, flag each, score, summarize."""
    text = normalize_whitespace(contract_text)
    if not text:
        raise ValueError("contract text is empty")
    clauses = extract_clauses(contract_text)
    findings = [(clause, flag_risks(clause)) for clause in clauses]
    flags = [flag for _, flag in findings]
    return Review(
        summary=summarize_contract(contract_text),
        word_count=word_count(text),
        findings=findings,
        score=risk_score(flags),
        escalate=needs_escalation(flags),
    )


def format_report(review: Review) -> str:
    """Render a review as a plain-text report, highest risks first."""
    order = {"high": 0, "medium": 1, "low": 2}
    findings = sorted(review.findings, key=lambda pair: order[pair[1].level])
    counts = level_counts([flag for _, flag in review.findings])
    lines = [
        f"Contract review (policy {review_policy_version()})",
        f"Words: {review.word_count}",
        f"Risk score: {review.score}"
        f" (high {counts['high']}, medium {counts['medium']}, low {counts['low']})",
        f"Escalate: {'yes' if review.escalate else 'no'}",
        "",
        "Summary:",
        review.summary.strip(),
        "",
        "Findings:",
    ]
    if not findings:
        lines.append("- none")
    for clause, flag in findings:
        where = f"s.{clause.section} " if clause.section else ""
        label = clause.clause_type.value.replace("_", " ")
        lines.append(f"- [{flag.level.upper()}] {where}{label}: {flag.reason.strip()}")
    return "\n".join(lines) + "\n"

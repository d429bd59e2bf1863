"""Tests for the contract reviewer.

They check properties, not the values the reviewer returns, so they hold
whether the reviewer is the prototype placeholder or a real model.
"""

import pytest

from contract_review.__main__ import main
from contract_review.config import REVIEW_POLICY_VERSION, review_policy_version
from contract_review.models import Clause, ClauseType, RiskFlag
from contract_review.report import Review, format_report, review_contract
from contract_review.reviewer import extract_clauses, flag_risks, summarize_contract
from contract_review.scoring import level_counts, needs_escalation, risk_score
from contract_review.text import normalize_whitespace, split_sections, word_count

CONTRACT = """SERVICES AGREEMENT between Acme Ltd ("Supplier") and Beta GmbH ("Customer").
1. Customer shall pay each invoice within thirty (30) days of receipt.
2. Supplier's total liability shall not exceed the fees paid in the prior twelve months.
3. Either party may terminate this Agreement on ninety (90) days' written notice.
4. Each party shall keep the other party's Confidential Information secret.
5. This Agreement is governed by the laws of England and Wales.
"""


# --- reviewer: only the contract, never the values ---------------------------


def test_extract_clauses_returns_valid_clauses() -> None:
    clauses = extract_clauses(CONTRACT)
    assert isinstance(clauses, list)
    for clause in clauses:
        assert isinstance(clause, Clause)
        Clause.model_validate(clause.model_dump())
        assert isinstance(clause.clause_type, ClauseType)
        assert clause.text.strip()


def test_flag_risks_returns_a_valid_flag() -> None:
    clause = Clause(clause_type=ClauseType.LIABILITY, text="Customer's liability is unlimited.")
    flag = flag_risks(clause)
    assert isinstance(flag, RiskFlag)
    assert flag.level in ("low", "medium", "high")
    assert flag.reason.strip()


def test_summarize_contract_returns_text() -> None:
    summary = summarize_contract(CONTRACT)
    assert isinstance(summary, str)
    assert summary.strip()


# --- text --------------------------------------------------------------------


def test_split_sections() -> None:
    sections = split_sections(CONTRACT)
    assert [number for number, _ in sections] == ["0", "1", "2", "3", "4", "5"]
    assert sections[1] == ("1", "Customer shall pay each invoice within thirty (30) days of receipt.")
    assert sections[0][1].startswith("SERVICES AGREEMENT")


def test_split_sections_joins_continuation_lines_and_subsections() -> None:
    text = "1. Fees\n   are due monthly.\n\n2.1) Notice\n2.2 Email is fine.\n"
    assert split_sections(text) == [("1", "Fees are due monthly."), ("2.1", "Notice"), ("2.2", "Email is fine.")]
    assert split_sections("   \n\n") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("one", 1), ("ninety (90) days' notice", 4), ("non-exclusive, royalty-free licence", 3)],
)
def test_word_count(text: str, expected: int) -> None:
    assert word_count(text) == expected


def test_normalize_whitespace() -> None:
    assert normalize_whitespace("  a\n\n b\tc  ") == "a b c"


# --- scoring -----------------------------------------------------------------


def _flags(*levels: str) -> list[RiskFlag]:
    return [RiskFlag(level=level, reason="r") for level in levels]  # type: ignore[arg-type]


def test_risk_score_and_counts() -> None:
    assert risk_score([]) == 0
    assert risk_score(_flags("low", "medium", "high")) == 12
    assert level_counts(_flags("low", "low", "high")) == {"low": 2, "medium": 0, "high": 1}
    assert level_counts([]) == {"low": 0, "medium": 0, "high": 0}


@pytest.mark.parametrize(
    ("levels", "expected"),
    [((), False), (("low", "low"), False), (("high",), True), (("medium",) * 3, False), (("medium",) * 3 + ("low",), True)],
)
def test_needs_escalation(levels: tuple[str, ...], expected: bool) -> None:
    assert needs_escalation(_flags(*levels)) is expected


# --- config, report and CLI --------------------------------------------------


def test_review_policy_version() -> None:
    assert review_policy_version() == REVIEW_POLICY_VERSION


def test_format_report_orders_by_risk() -> None:
    review = Review(
        summary="A short summary.",
        word_count=42,
        findings=[
            (Clause(clause_type=ClauseType.PAYMENT, text="Pay in 30 days.", section="1"), RiskFlag(level="low", reason="Standard.")),
            (Clause(clause_type=ClauseType.GOVERNING_LAW, text="Law of Mars."), RiskFlag(level="high", reason="Odd venue.")),
        ],
        score=9,
        escalate=True,
    )
    report = format_report(review)
    assert report.startswith(f"Contract review (policy {REVIEW_POLICY_VERSION})\n")
    assert "Risk score: 9 (high 1, medium 0, low 1)" in report
    assert "Escalate: yes" in report
    assert report.index("[HIGH] governing law: Odd venue.") < report.index("[LOW] s.1 payment: Standard.")


def test_review_contract_is_consistent() -> None:
    review = review_contract(CONTRACT)
    flags = [flag for _, flag in review.findings]
    assert review.word_count == word_count(CONTRACT)
    assert review.score == risk_score(flags)
    assert review.escalate == needs_escalation(flags)
    assert review.summary.strip()
    assert "Findings:" in format_report(review)


def test_review_contract_rejects_empty_text() -> None:
    with pytest.raises(ValueError):
        review_contract("  \n ")


def test_cli(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contract.txt"
    path.write_text(CONTRACT, encoding="utf-8")
    assert main([str(path)]) == 0
    assert "Risk score:" in capsys.readouterr().out
    assert main([]) == 2

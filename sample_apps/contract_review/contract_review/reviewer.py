"""The "smart" parts of the contract reviewer.

Placeholders for the prototype: they return fixed values so the report and
scoring can be built and demoed. Each one is meant to be backed by a language
model later.
"""

from __future__ import annotations

from .models import Clause, ClauseType, RiskFlag


def extract_clauses(contract_text: str) -> list[Clause]:
    """Find the clauses of a contract and label each with its type.

    Reads the whole contract and returns every clause that matters for a
    compliance review (termination, liability, confidentiality, payment,
    governing law, indemnification, intellectual property, auto-renewal),
    each with its wording copied from the contract and its section number
    when the contract has one. Clauses of no listed type are `other`.
    """
    # TODO: replace with a real model
    return [
        Clause(clause_type=ClauseType.PAYMENT, text="Invoices are payable within 30 days.", section="4"),
        Clause(clause_type=ClauseType.TERMINATION, text="Either party may terminate on 90 days' notice.", section="9"),
    ]


def flag_risks(clause: Clause) -> RiskFlag:
    """Judge how risky one clause is for the customer signing the contract.

    `high` for terms a reviewer must escalate (unlimited liability, one-sided
    indemnities, termination without notice, automatic renewal with no exit),
    `medium` for unusual but negotiable terms, `low` for standard wording. The
    reason is one short sentence a lawyer can act on.
    """
    # TODO: replace with a real model
    return RiskFlag(level="medium", reason="Standard clause; review recommended.")


def summarize_contract(contract_text: str) -> str:
    """Summarize a contract in a few plain-English sentences.

    Says who the parties are, what is being bought or provided, for how long,
    at what price and under which law, for a reader who has not seen it.
    """
    # TODO: replace with a real model
    return "This is a services agreement between two parties with standard terms."

"""Which team handles a ticket, and how soon."""

from __future__ import annotations

from .config import LARGE_AMOUNT_THRESHOLD
from .models import CaseDetails, Intent, Urgency

TEAM_BY_INTENT: dict[Intent, str] = {
    Intent.LOST_CARD: "Cards",
    Intent.CARD_DECLINED: "Cards",
    Intent.PIN_RESET: "Cards",
    Intent.TRANSFER_STATUS: "Payments",
    Intent.REFUND_REQUEST: "Disputes",
    Intent.FEE_COMPLAINT: "Disputes",
    Intent.BALANCE_INQUIRY: "Accounts",
    Intent.UPDATE_ADDRESS: "Accounts",
    Intent.CLOSE_ACCOUNT: "Accounts",
    Intent.LOAN_APPLICATION: "Lending",
    Intent.FRAUD_REPORT: "Fraud",
    Intent.EXCHANGE_RATE: "Foreign Exchange",
}

BASE_PRIORITY: dict[Intent, int] = {
    Intent.FRAUD_REPORT: 5,
    Intent.LOST_CARD: 4,
    Intent.CARD_DECLINED: 3,
    Intent.TRANSFER_STATUS: 3,
    Intent.PIN_RESET: 3,
    Intent.REFUND_REQUEST: 2,
    Intent.FEE_COMPLAINT: 2,
    Intent.CLOSE_ACCOUNT: 2,
    Intent.LOAN_APPLICATION: 2,
    Intent.UPDATE_ADDRESS: 1,
    Intent.BALANCE_INQUIRY: 1,
    Intent.EXCHANGE_RATE: 1,
}

URGENCY_BONUS: dict[Urgency, int] = {
    Urgency.LOW: -1,
    Urgency.MEDIUM: 0,
    Urgency.HIGH: 1,
}

MIN_PRIORITY = 1
MAX_PRIORITY = 5


def team_for(intent: Intent) -> str:
    """Name of the team that owns tickets with this intent."""
    return TEAM_BY_INTENT[intent]


def priority_for(intent: Intent, details: CaseDetails) -> int:
    """Queue priority from 1 (can wait) to 5 (handle now).

    Starts from the intent's base priority, moves one step up or down with the
    customer's urgency, and one step up for large amounts.
    """
    priority = BASE_PRIORITY[intent] + URGENCY_BONUS[details.urgency]
    if details.amount is not None and details.amount >= LARGE_AMOUNT_THRESHOLD:
        priority += 1
    return max(MIN_PRIORITY, min(MAX_PRIORITY, priority))


def tag_for_priority(priority: int) -> str:
    """Short queue label for a priority, e.g. "P1" for the most urgent."""
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise ValueError(f"priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}, got {priority}")
    return f"P{MAX_PRIORITY + 1 - priority}"


def needs_human_review(intent: Intent, details: CaseDetails) -> bool:
    """Whether a person must check the ticket before any reply is sent."""
    if intent is Intent.FRAUD_REPORT:
        return True
    return details.amount is not None and details.amount >= LARGE_AMOUNT_THRESHOLD

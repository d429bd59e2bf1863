"""Text shown to customers and agents."""

from __future__ import annotations

from .config import BANK_NAME, support_hours
from .models import CaseDetails, Intent
from .routing import tag_for_priority
from .validation import is_valid_card_last4


def format_reply(customer_name: str | None, body: str) -> str:
    """Wrap a reply body in the bank's greeting and signature."""
    name = customer_name.strip() if customer_name and customer_name.strip() else "customer"
    return (
        f"Dear {name},\n\n"
        f"{body.strip()}\n\n"
        f"Our support team is available {support_hours()}.\n"
        f"Kind regards,\n{BANK_NAME} Customer Support"
    )


def mask_card(last4: str | None) -> str:
    """Card number as shown to agents, e.g. "**** **** **** 4242"."""
    if last4 is None or not is_valid_card_last4(last4):
        return "card number not given"
    return f"**** **** **** {last4}"


def format_amount(amount: float | None, currency: str | None) -> str:
    """Amount with two decimals and its currency code, e.g. "1,250.00 EUR"."""
    if amount is None:
        return "no amount"
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def agent_summary(intent: Intent, team: str, priority: int, details: CaseDetails) -> str:
    """One line for the agents' queue, e.g. "[P2] Cards | lost_card | **** **** **** 4242"."""
    parts = [f"[{tag_for_priority(priority)}] {team}", intent.value, mask_card(details.card_last4)]
    if details.amount is not None:
        parts.append(format_amount(details.amount, details.currency))
    if details.merchant:
        parts.append(f"at {details.merchant}")
    if details.date:
        parts.append(f"on {details.date}")
    return " | ".join(parts)

"""Turning a customer message into a ticket."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from .assistant import classify_intent, draft_reply, extract_details
from .formatting import agent_summary, format_reply
from .models import Ticket
from .routing import needs_human_review, priority_for, team_for
from .validation import clean_details, normalize_message


def new_ticket_id(customer_id: str, message: str, created_at: datetime) -> str:
    """Stable ticket id from the customer, the message and the time."""
    digest = hashlib.sha256(f"{customer_id}|{created_at.isoformat()}|{message}".encode()).hexdigest()
    return f"TCK-{created_at:%Y%m%d}-{digest[:8].upper()}"


def build_ticket(
    message: str,
    customer_id: str,
    customer_name: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Classify, extract, route and draft a reply for one customer message."""
    text = normalize_message(message)
    if not text:
        raise ValueError("message is empty")
    created_at = now or datetime.now(UTC)

    intent = classify_intent(text)
    details = clean_details(extract_details(text))
    body = draft_reply(text, intent)
    team = team_for(intent)
    priority = priority_for(intent, details)

    return Ticket(
        ticket_id=new_ticket_id(customer_id, text, created_at),
        customer_id=customer_id,
        message=text,
        intent=intent,
        team=team,
        priority=priority,
        needs_review=needs_human_review(intent, details),
        details=details,
        summary=agent_summary(intent, team, priority, details),
        reply=format_reply(customer_name, body),
        created_at=created_at,
    )

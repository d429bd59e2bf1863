"""A help desk whose reply is composed of two smaller smart parts: the planner's workflow fixture."""

from typing import Literal

from pydantic import BaseModel

Intent = Literal["refund_request", "lost_card", "card_declined", "other"]


class Details(BaseModel):
    amount: float | None = None
    currency: str | None = None


def classify_intent(message: str) -> Intent:
    """Classify the customer's message into one of the help desk's intents."""
    # TODO: replace with a model
    return "refund_request"


def extract_details(message: str) -> Details:
    """Extract the amount and currency the customer mentions."""
    # TODO: replace with a model
    return Details(amount=20.0, currency="EUR")


# agentforge: dynamic
def draft_reply(message: str, customer_name: str) -> str:
    """Draft a short reply to the customer that answers their intent and repeats the amount they gave."""
    intent, details = classify_intent(message), extract_details(message)
    # TODO: write the reply with a model from the intent and the details
    return f"Dear {customer_name}, thank you for your message about {intent} ({details.amount})."

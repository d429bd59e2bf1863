"""The "smart" parts of the support desk.

These are placeholders for the prototype: they return fixed values so the
rest of the app can be built and demoed. Each one is meant to be backed by a
language model later.
"""

from __future__ import annotations

from .models import CaseDetails, Intent, Urgency


def classify_intent(message: str) -> Intent:
    """Classify a customer message into exactly one intent.

    Reads what the customer wrote (e.g. "left my wallet on the train") and
    decides what they want from the bank: report a lost card, ask about a
    transfer, complain about a fee, and so on. The result decides which team
    the ticket is routed to.
    """
    # TODO: replace with a real model
    return Intent.LOST_CARD


def extract_details(message: str) -> CaseDetails:
    """Extract the case details mentioned in a customer message.

    Pulls out the amount and its ISO currency code, the merchant, the last
    four digits of the card, the date of the event (ISO yyyy-mm-dd) and how
    urgent the customer says the matter is. Anything the message does not
    mention is left as None (urgency defaults to medium).
    """
    # TODO: replace with a real model
    return CaseDetails(
        amount=120.0,
        currency="EUR",
        merchant="ACME Store",
        card_last4="4242",
        date="2024-03-01",
        urgency=Urgency.MEDIUM,
    )


def draft_reply(message: str, intent: Intent) -> str:
    """Draft a short, polite first reply to the customer.

    The reply should acknowledge the customer's problem, given the message and
    its classified intent, and tell them the next step (e.g. the card has been
    frozen, the transfer is being traced). It must not promise refunds or quote
    balances, and must not ask for the full card number or PIN. Greeting and
    signature are added by the caller.
    """
    # TODO: replace with a real model
    return "Thank you for contacting us. An agent will get back to you shortly."

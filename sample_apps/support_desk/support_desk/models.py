"""Data types shared by the support desk."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, Field


class Intent(str, Enum):
    """What the customer wants. One per ticket."""

    LOST_CARD = "lost_card"
    CARD_DECLINED = "card_declined"
    TRANSFER_STATUS = "transfer_status"
    REFUND_REQUEST = "refund_request"
    BALANCE_INQUIRY = "balance_inquiry"
    UPDATE_ADDRESS = "update_address"
    CLOSE_ACCOUNT = "close_account"
    LOAN_APPLICATION = "loan_application"
    FRAUD_REPORT = "fraud_report"
    PIN_RESET = "pin_reset"
    FEE_COMPLAINT = "fee_complaint"
    EXCHANGE_RATE = "exchange_rate"


class Urgency(str, Enum):
    """How quickly the customer needs an answer."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class CaseDetails(BaseModel):
    """Facts a support agent needs from the customer's message."""

    amount: float | None = None
    """Money amount mentioned in the message, as a number."""
    currency: str | None = None
    """ISO 4217 code of that amount, e.g. "EUR"."""
    merchant: str | None = None
    """Shop, company or service the message is about."""
    card_last4: str | None = None
    """Last four digits of the card, as written by the customer."""
    date: str | None = None
    """Date of the transaction or event, ISO yyyy-mm-dd."""
    urgency: Urgency = Urgency.MEDIUM
    """How urgent the customer says the matter is."""


class TicketRequest(BaseModel):
    """Body of POST /tickets."""

    message: str = Field(min_length=1, max_length=2000)
    customer_id: str = Field(pattern=r"^C\d{6}$")


class Ticket(BaseModel):
    """A support ticket, ready for an agent's queue."""

    ticket_id: str
    customer_id: str
    message: str
    intent: Intent
    team: str
    priority: int = Field(ge=1, le=5)
    needs_review: bool
    details: CaseDetails
    summary: str
    reply: str
    created_at: datetime

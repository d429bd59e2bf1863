"""Tests for the support desk.

They check properties, not the values the assistant returns, so they hold
whether the assistant is the prototype placeholder or a real model.
"""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from support_desk.app import app
from support_desk.assistant import classify_intent, draft_reply, extract_details
from support_desk.config import BANK_NAME, SUPPORT_HOURS, support_hours
from support_desk.formatting import agent_summary, format_amount, format_reply, mask_card
from support_desk.models import CaseDetails, Intent, Ticket, Urgency
from support_desk.routing import (
    TEAM_BY_INTENT,
    needs_human_review,
    priority_for,
    tag_for_priority,
    team_for,
)
from support_desk.tickets import build_ticket, new_ticket_id
from support_desk.validation import (
    clean_details,
    is_valid_card_last4,
    is_valid_iso_date,
    normalize_currency,
    normalize_message,
)

client = TestClient(app)

MESSAGE = "I left my wallet on the train and my card ending 4242 was in it. Please block it!"


# --- assistant: only the contract, never the values -------------------------


def test_classify_intent_returns_an_intent() -> None:
    assert isinstance(classify_intent(MESSAGE), Intent)


def test_extract_details_returns_valid_case_details() -> None:
    details = extract_details(MESSAGE)
    assert isinstance(details, CaseDetails)
    CaseDetails.model_validate(details.model_dump())
    assert isinstance(details.urgency, Urgency)


def test_draft_reply_returns_text() -> None:
    reply = draft_reply(MESSAGE, Intent.LOST_CARD)
    assert isinstance(reply, str)
    assert reply.strip()


# --- routing -----------------------------------------------------------------


def test_every_intent_has_a_team() -> None:
    assert set(TEAM_BY_INTENT) == set(Intent)
    assert team_for(Intent.FRAUD_REPORT) == "Fraud"
    assert team_for(Intent.PIN_RESET) == "Cards"
    assert team_for(Intent.EXCHANGE_RATE) == "Foreign Exchange"


@pytest.mark.parametrize(
    ("intent", "details", "expected"),
    [
        (Intent.FRAUD_REPORT, CaseDetails(), 5),
        (Intent.FRAUD_REPORT, CaseDetails(urgency=Urgency.HIGH, amount=5000.0), 5),
        (Intent.LOST_CARD, CaseDetails(urgency=Urgency.LOW), 3),
        (Intent.CARD_DECLINED, CaseDetails(urgency=Urgency.HIGH), 4),
        (Intent.REFUND_REQUEST, CaseDetails(amount=999.99), 2),
        (Intent.REFUND_REQUEST, CaseDetails(amount=1000.0), 3),
        (Intent.BALANCE_INQUIRY, CaseDetails(urgency=Urgency.LOW), 1),
        (Intent.EXCHANGE_RATE, CaseDetails(urgency=Urgency.HIGH, amount=2000.0), 3),
    ],
)
def test_priority_for(intent: Intent, details: CaseDetails, expected: int) -> None:
    assert priority_for(intent, details) == expected


def test_tag_for_priority() -> None:
    assert tag_for_priority(5) == "P1"
    assert tag_for_priority(1) == "P5"
    with pytest.raises(ValueError):
        tag_for_priority(0)
    with pytest.raises(ValueError):
        tag_for_priority(6)


def test_needs_human_review() -> None:
    assert needs_human_review(Intent.FRAUD_REPORT, CaseDetails())
    assert needs_human_review(Intent.REFUND_REQUEST, CaseDetails(amount=1500.0))
    assert not needs_human_review(Intent.REFUND_REQUEST, CaseDetails(amount=15.0))
    assert not needs_human_review(Intent.PIN_RESET, CaseDetails())


# --- validation --------------------------------------------------------------


def test_normalize_message() -> None:
    assert normalize_message("  hello\n\tthere  \x00 friend ") == "hello there friend"
    assert normalize_message(" \n ") == ""
    assert len(normalize_message("a" * 5000)) == 2000


@pytest.mark.parametrize(
    ("value", "ok"),
    [("4242", True), ("0007", True), ("424", False), ("42424", False), ("42a2", False), ("٤٢٤٢", False)],
)
def test_is_valid_card_last4(value: str, ok: bool) -> None:
    assert is_valid_card_last4(value) is ok


def test_is_valid_iso_date() -> None:
    assert is_valid_iso_date("2024-02-29")
    assert not is_valid_iso_date("2023-02-29")
    assert not is_valid_iso_date("20240301")
    assert not is_valid_iso_date("01/03/2024")


def test_normalize_currency() -> None:
    assert normalize_currency(" eur ") == "EUR"
    assert normalize_currency("euros") is None
    assert normalize_currency(None) is None


def test_clean_details_drops_malformed_values() -> None:
    raw = CaseDetails(
        amount=-3.0,
        currency="gbp",
        merchant="  ",
        card_last4="12345",
        date="31/12/2024",
        urgency=Urgency.HIGH,
    )
    assert clean_details(raw) == CaseDetails(urgency=Urgency.HIGH, currency="GBP")
    good = CaseDetails(amount=12.5, currency="USD", merchant="Tesco", card_last4="0193", date="2024-05-01")
    assert clean_details(good) == good


# --- formatting --------------------------------------------------------------


def test_support_hours_is_the_configured_value() -> None:
    assert support_hours() == SUPPORT_HOURS


def test_format_reply() -> None:
    text = format_reply("Ana", "  Your card is frozen.  ")
    assert text == (
        "Dear Ana,\n\nYour card is frozen.\n\n"
        f"Our support team is available {SUPPORT_HOURS}.\n"
        f"Kind regards,\n{BANK_NAME} Customer Support"
    )
    assert format_reply(None, "Hi").startswith("Dear customer,\n\n")
    assert format_reply("   ", "Hi").startswith("Dear customer,\n\n")


def test_mask_card() -> None:
    assert mask_card("4242") == "**** **** **** 4242"
    assert mask_card(None) == "card number not given"
    assert mask_card("42") == "card number not given"


def test_format_amount() -> None:
    assert format_amount(1250.0, "EUR") == "1,250.00 EUR"
    assert format_amount(3.5, None) == "3.50"
    assert format_amount(None, "EUR") == "no amount"


def test_agent_summary() -> None:
    details = CaseDetails(
        amount=89.95, currency="EUR", merchant="Zalando", card_last4="4410", date="2024-04-09"
    )
    assert agent_summary(Intent.REFUND_REQUEST, "Disputes", 2, details) == (
        "[P4] Disputes | refund_request | **** **** **** 4410 | 89.95 EUR | at Zalando | on 2024-04-09"
    )
    assert agent_summary(Intent.PIN_RESET, "Cards", 3, CaseDetails()) == (
        "[P3] Cards | pin_reset | card number not given"
    )


# --- tickets -----------------------------------------------------------------


def test_new_ticket_id_is_stable() -> None:
    when = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    first = new_ticket_id("C123456", "hello", when)
    assert first == new_ticket_id("C123456", "hello", when)
    assert first != new_ticket_id("C123457", "hello", when)
    assert first.startswith("TCK-20240301-")
    assert len(first) == len("TCK-20240301-") + 8


def test_build_ticket_is_consistent() -> None:
    when = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    ticket = build_ticket("  " + MESSAGE + "\n", "C123456", customer_name="Ana", now=when)
    assert isinstance(ticket, Ticket)
    assert ticket.message == MESSAGE
    assert ticket.customer_id == "C123456"
    assert ticket.created_at == when
    assert isinstance(ticket.intent, Intent)
    assert ticket.team == team_for(ticket.intent)
    assert ticket.priority == priority_for(ticket.intent, ticket.details)
    assert ticket.needs_review == needs_human_review(ticket.intent, ticket.details)
    assert ticket.details == clean_details(ticket.details)
    assert ticket.summary == agent_summary(ticket.intent, ticket.team, ticket.priority, ticket.details)
    assert ticket.reply.startswith("Dear Ana,\n\n")
    assert ticket.ticket_id == new_ticket_id("C123456", MESSAGE, when)


def test_build_ticket_rejects_blank_message() -> None:
    with pytest.raises(ValueError):
        build_ticket(" \n\t ", "C123456")


# --- HTTP --------------------------------------------------------------------


def test_health() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["intents"] == 12
    assert body["support_hours"] == SUPPORT_HOURS


def test_post_ticket() -> None:
    response = client.post("/tickets", json={"message": MESSAGE, "customer_id": "C123456"})
    assert response.status_code == 200
    body = response.json()
    ticket = Ticket.model_validate(body)
    assert set(body) == set(Ticket.model_fields)
    assert ticket.customer_id == "C123456"
    assert ticket.message == MESSAGE
    assert body["intent"] in {intent.value for intent in Intent}
    assert ticket.team == team_for(ticket.intent)
    assert 1 <= ticket.priority <= 5
    assert ticket.reply.startswith("Dear customer,")
    CaseDetails.model_validate(body["details"])


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"message": MESSAGE},
        {"customer_id": "C123456"},
        {"message": "", "customer_id": "C123456"},
        {"message": "   \n  ", "customer_id": "C123456"},
        {"message": "x" * 2001, "customer_id": "C123456"},
        {"message": MESSAGE, "customer_id": "123456"},
        {"message": 42, "customer_id": "C123456"},
    ],
)
def test_post_ticket_rejects_invalid_input(payload: dict[str, object]) -> None:
    response = client.post("/tickets", json=payload)
    assert response.status_code == 422

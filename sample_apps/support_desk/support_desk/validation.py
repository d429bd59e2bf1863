"""Input checks and clean-up."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from .config import MAX_MESSAGE_CHARS
from .models import CaseDetails

_WHITESPACE = re.compile(r"\s+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def normalize_message(text: str) -> str:
    """Drop control characters, collapse whitespace and cap the length."""
    printable = "".join(
        " " if unicodedata.category(ch).startswith("C") else ch for ch in text
    )
    collapsed = _WHITESPACE.sub(" ", printable).strip()
    return collapsed[:MAX_MESSAGE_CHARS]


def is_valid_card_last4(value: str) -> bool:
    """True for exactly four ASCII digits."""
    return len(value) == 4 and value.isascii() and value.isdigit()


def is_valid_iso_date(value: str) -> bool:
    """True for a real calendar date written as yyyy-mm-dd."""
    if not _ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def normalize_currency(code: str | None) -> str | None:
    """Upper-case ISO 4217 code, or None when it does not look like one."""
    if code is None:
        return None
    cleaned = code.strip().upper()
    return cleaned if _CURRENCY_CODE.match(cleaned) else None


def clean_details(details: CaseDetails) -> CaseDetails:
    """Drop values that are malformed, so agents never see garbage."""
    amount = details.amount if details.amount is not None and details.amount >= 0 else None
    card = details.card_last4 if details.card_last4 and is_valid_card_last4(details.card_last4) else None
    when = details.date if details.date and is_valid_iso_date(details.date) else None
    merchant = details.merchant.strip() if details.merchant and details.merchant.strip() else None
    return CaseDetails(
        amount=amount,
        currency=normalize_currency(details.currency),
        merchant=merchant,
        card_last4=card,
        date=when,
        urgency=details.urgency,
    )

"""Static settings of the support desk."""

from __future__ import annotations

SUPPORT_HOURS = "Monday to Friday, 08:00-20:00 CET"
BANK_NAME = "Northwind Bank"
MAX_MESSAGE_CHARS = 2000
LARGE_AMOUNT_THRESHOLD = 1000.0


def support_hours() -> str:
    """Opening hours of the human support team, shown in every reply."""
    return SUPPORT_HOURS

"""Data types shared by the contract reviewer."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field


class ClauseType(str, Enum):
    """Kind of contract clause."""

    TERMINATION = "termination"
    LIABILITY = "liability"
    CONFIDENTIALITY = "confidentiality"
    PAYMENT = "payment"
    GOVERNING_LAW = "governing_law"
    INDEMNIFICATION = "indemnification"
    INTELLECTUAL_PROPERTY = "intellectual_property"
    AUTO_RENEWAL = "auto_renewal"
    OTHER = "other"


class Clause(BaseModel):
    """One clause found in a contract."""

    clause_type: ClauseType
    """What the clause is about."""
    text: str = Field(min_length=1)
    """The clause's wording, copied from the contract."""
    section: str | None = None
    """Section number or heading it came from, e.g. "7", when known."""


RiskLevel = Literal["low", "medium", "high"]


class RiskFlag(BaseModel):
    """How risky a clause is for our side, and why."""

    level: RiskLevel
    reason: str = Field(min_length=1)

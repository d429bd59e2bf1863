"""The sample prototype: its three fakes are found, its real logic is left alone, its types are read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentforge.artifacts import ModuleSpec, ScanResult
from agentforge.scan import scan_repo

APP = Path(__file__).parents[2] / "sample_apps" / "support_desk"
A = "support_desk/assistant.py::"
INTENTS = [
    "lost_card",
    "card_declined",
    "transfer_status",
    "refund_request",
    "balance_inquiry",
    "update_address",
    "close_account",
    "loan_application",
    "fraud_report",
    "pin_reset",
    "fee_complaint",
    "exchange_rate",
]


@pytest.fixture(scope="module")
def scanned() -> ScanResult:
    return scan_repo(APP)


@pytest.fixture(scope="module")
def modules(scanned: ScanResult) -> dict[str, ModuleSpec]:
    return {m.id: m for m in scanned.modules}


def test_exactly_the_expected_stubs(scanned: ScanResult) -> None:
    expected = json.loads((APP / "expected_modules.json").read_text())
    found = {m.id for m in scanned.modules}
    assert found == set(expected["stubs"])
    assert not found & set(expected["not_stubs"])
    assert scanned.warnings == []


def test_classify_intent_outputs_the_twelve_intents(modules: dict[str, ModuleSpec]) -> None:
    module = modules[A + "classify_intent"]
    assert module.output_schema["enum"] == INTENTS
    assert module.output_schema["type"] == "string"
    assert module.static_example == "lost_card"
    assert module.input_schema == {
        "type": "object",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
    }
    assert module.intent == "Classify a customer message into exactly one intent."


def test_extract_details_outputs_case_details(modules: dict[str, ModuleSpec]) -> None:
    module = modules[A + "extract_details"]
    schema = module.output_schema
    assert schema["title"] == "CaseDetails"
    assert list(schema["properties"]) == ["amount", "currency", "merchant", "card_last4", "date", "urgency"]
    assert schema["required"] == []
    assert schema["properties"]["amount"]["anyOf"] == [{"type": "number"}, {"type": "null"}]
    assert schema["properties"]["urgency"]["enum"] == ["low", "medium", "high"]
    assert schema["properties"]["urgency"]["default"] == "medium"
    assert module.static_example == {
        "amount": 120.0,
        "currency": "EUR",
        "merchant": "ACME Store",
        "card_last4": "4242",
        "date": "2024-03-01",
        "urgency": "medium",
    }


def test_draft_reply_takes_the_classified_intent(modules: dict[str, ModuleSpec]) -> None:
    module = modules[A + "draft_reply"]
    assert module.output_schema == {"type": "string"}
    assert [p.name for p in module.params] == ["message", "intent"]
    assert module.params[1].json_schema["enum"] == INTENTS
    assert {"returns_literal", "todo_marker", "placeholder_text", "smart_name"} <= {r.code for r in module.reasons}

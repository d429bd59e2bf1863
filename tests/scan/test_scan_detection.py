"""Each detection rule, and each look-alike that must not be reported, on the `shop` fixture."""

from __future__ import annotations

import sys

import pytest

from agentforge.artifacts import ModuleSpec, ScanResult
from agentforge.scan.extractor import BIAS, logistic

A = "shop/assistant.py::"

EXPECTED_STUBS = {
    A + "classify",
    A + "extract_customer",
    A + "draft_reply",
    A + "summarize",
    A + "score_lead",
    A + "translate",
    A + "tag",
    A + "pick_reply",
    A + "suggest",
    A + "profile",
    A + "all_replies",
    A + "plan_next_step",
    A + "intent_label",
    A + "route",
    A + "rewrite",
    A + "polish",
    A + "urgency",
    A + "answer",
    A + "quote",
    A + "headline",
    A + "sentiment",
    A + "review",
    A + "Assistant.greet",
    A + "Assistant.escalate",
    A + "Assistant.languages",
    "shop/boom.py::still_scanned",
}
NOT_REPORTED = {A + "notify", A + "balance", A + "unannotated"}
"""Trivial constants (`return`, `-12.5`, `"n/a"`) on names that say nothing of smart work: evidence too thin."""


def codes(module: ModuleSpec) -> list[str]:
    return [r.code for r in module.reasons]


def test_exactly_the_stubs_are_found(shop: ScanResult) -> None:
    assert {m.id for m in shop.modules} == EXPECTED_STUBS
    assert shop.files_scanned == 6
    assert shop.functions >= len(EXPECTED_STUBS)


def test_thin_evidence_is_a_candidate_with_its_reason(shop_candidates: ScanResult) -> None:
    rejected = {c.id: c for c in shop_candidates.candidates}
    assert set(rejected) >= NOT_REPORTED
    assert all(c.confidence < shop_candidates.min_confidence for c in rejected.values())
    assert "too thin" in rejected[A + "balance"].why or "Nothing in its name" in rejected[A + "balance"].why
    assert {m.id for m in shop_candidates.modules} == EXPECTED_STUBS


def test_scanning_never_imports_the_code(shop_modules: dict[str, ModuleSpec]) -> None:
    # boom.py raises SystemExit at import time; reading it must neither stop the scan nor import it.
    assert shop_modules["shop/boom.py::still_scanned"].static_example == "read, never run"
    assert not any(name == "shop" or name.startswith("shop.") for name in sys.modules)


@pytest.mark.parametrize(
    ("name", "expected_codes", "example"),
    [
        ("classify", ["returns_literal", "smart_name"], "other"),
        ("urgency", ["returns_literal"], 2),
        ("extract_customer", ["returns_literal"], None),
        ("quote", ["returns_literal"], {"amount": 12.5, "currency": "USD"}),
        ("draft_reply", ["returns_literal", "placeholder_text"], "Thanks! An agent will get back to you shortly."),
        ("headline", ["returns_literal", "placeholder_text"], "Lorem ipsum dolor sit amet"),
        ("summarize", ["returns_literal", "todo_marker"], {"title": "Summary", "bullets": []}),
        ("answer", ["returns_literal"], None),
        ("Assistant.languages", ["returns_literal"], ["en", "fr"]),
        ("score_lead", ["not_implemented"], None),
        ("translate", ["not_implemented"], None),
        ("tag", ["not_implemented"], None),
        ("pick_reply", ["returns_mock_data"], "We are on it."),
        ("suggest", ["returns_mock_data", "random_pick"], "Try turning it off and on again."),
        ("profile", ["returns_mock_data"], {"name": "Bob", "plan": "free"}),
        ("all_replies", ["returns_mock_data"], ["Thanks for writing in!", "We are on it."]),
        ("plan_next_step", ["not_implemented"], None),
        ("intent_label", ["returns_literal"], "other"),
        ("route", ["explicit_marker"], None),
        ("rewrite", ["explicit_marker"], None),
        ("polish", ["explicit_marker"], None),
        ("Assistant.escalate", ["explicit_marker"], None),
    ],
)
def test_rules(shop_modules: dict[str, ModuleSpec], name: str, expected_codes: list[str], example: object) -> None:
    module = shop_modules[A + name]
    assert set(expected_codes) <= set(codes(module)), codes(module)
    if example is not None:
        assert module.static_example == example
    assert all((r.detail.endswith(".") and 0 < r.confidence < 1) or r.code == "explicit_marker" for r in module.reasons)


def test_constant_object_reads_its_arguments_and_enum_members(shop_modules: dict[str, ModuleSpec]) -> None:
    module = shop_modules[A + "extract_customer"]
    assert module.static_example == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "intent": "billing",
        "tags": ["vip"],
    }
    assert module.static_source is not None and module.static_source.startswith("Customer(name=")


def test_confidence_adds_the_weights_as_log_odds(shop_modules: dict[str, ModuleSpec]) -> None:
    plain, boosted = shop_modules[A + "sentiment"], shop_modules[A + "draft_reply"]
    assert plain.confidence == logistic(BIAS + sum(r.weight for r in plain.reasons))
    assert boosted.confidence > plain.confidence  # a placeholder phrase adds to the same shape
    assert shop_modules[A + "route"].confidence == 1.0
    assert shop_modules[A + "score_lead"].confidence > shop_modules[A + "translate"].confidence


def test_calls_link_stubs_both_ways(shop_modules: dict[str, ModuleSpec]) -> None:
    assert shop_modules[A + "route"].calls == [A + "classify"]
    assert shop_modules[A + "rewrite"].calls == [A + "draft_reply"]
    assert shop_modules[A + "Assistant.escalate"].calls == [A + "Assistant.greet", A + "classify"]
    assert shop_modules[A + "classify"].called_by == [A + "Assistant.escalate", A + "route"]
    assert shop_modules[A + "draft_reply"].called_by == [A + "rewrite"]
    assert shop_modules[A + "tag"].calls == shop_modules[A + "tag"].called_by == []


def test_intent_comes_from_docstring_then_comments_then_name(shop_modules: dict[str, ModuleSpec]) -> None:
    assert shop_modules[A + "classify"].intent == "Classify a customer message into an intent."
    assert shop_modules[A + "summarize"].intent == "summarize with a model"
    assert shop_modules[A + "translate"].intent == "translate"
    assert shop_modules[A + "score_lead"].intent == "score lead"


def test_nothing_in_the_real_logic_file_is_a_stub(shop: ScanResult) -> None:
    # logic.py holds config getters and factories, computation, abstract and Protocol methods, overloads,
    # dunders, property getters and setters, nested functions, and a TODO over real code.
    real = ("shop/logic.py", "shop/models.py", "shop/markers.py")
    assert not [m.id for m in shop.modules if m.path in real]
    assert not [m.id for m in shop.modules if m.name in ("Assistant.__init__", "Assistant.__repr__")]
    assert A + "Assistant.name" not in {m.id for m in shop.modules}

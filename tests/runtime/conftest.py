"""A hand-made three-module manifest (no scan, no model) for orchestration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentforge.artifacts import ByteSpan, Language, Manifest, ModulePlan, ModuleSpec, Plan, Policy
from agentforge.store import Store

SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)
INTENTS = ["lost_card", "card_declined", "refund_request"]


def _spec(name: str, output_schema: dict[str, object], static: object, params: list[str]) -> ModuleSpec:
    return ModuleSpec(
        id=f"app/ai.py::{name}",
        name=name,
        language=Language.PYTHON,
        path="app/ai.py",
        span=SPAN,
        body_span=SPAN,
        input_schema={
            "type": "object",
            "properties": {p: {"type": "string"} for p in params},
            "required": params,
        },
        output_schema=output_schema,
        intent=f"{name} for a bank customer message",
        static_example=static,
    )


def make_manifest() -> Manifest:
    specs = [
        _spec("classify", {"type": "string", "enum": INTENTS, "title": "Intent"}, "lost_card", ["message"]),
        _spec(
            "extract",
            {
                "type": "object",
                "title": "Details",
                "properties": {
                    "amount": {"type": ["number", "null"]},
                    "currency": {"type": ["string", "null"]},
                },
                "required": ["amount"],
            },
            {"amount": 1.0, "currency": "EUR"},
            ["message"],
        ),
        _spec("draft", {"type": "string"}, "Thanks, we will get back to you.", ["message"]),
    ]
    plan = Plan(
        root="app",
        base_model="fake",
        modules=[
            ModulePlan(module_id=specs[0].id, kind="classify", agent_role="classifier", policy=Policy(max_retries=0)),
            ModulePlan(module_id=specs[1].id, kind="extract", agent_role="extractor", policy=Policy(max_retries=2)),
            ModulePlan(module_id=specs[2].id, kind="generate", agent_role="writer", policy=Policy(max_retries=1)),
        ],
    )
    return Manifest(app_name="app", source_root="app", specs=specs, plan=plan)


@pytest.fixture
def app_store(store: Store) -> Iterator[Store]:
    store.save_manifest(make_manifest())
    yield store

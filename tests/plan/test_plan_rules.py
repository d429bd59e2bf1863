from __future__ import annotations

import pytest

from agentforge.catalog import Catalog, RoleSpec, load_catalog
from agentforge.errors import PlanError
from agentforge.plan import make_plan
from agentforge.plan.rules import choose_kind, choose_role

from .conftest import SpecFactory

INTENT_ENUM = {
    "$defs": {"Intent": {"enum": ["lost_card", "billing", "other"], "title": "Intent", "type": "string"}},
    "$ref": "#/$defs/Intent",
}


@pytest.mark.parametrize(
    ("name", "schema", "extra", "kind", "decided_by"),
    [
        ("route_ticket", INTENT_ENUM, {}, "classify", "enum_output"),
        (
            "pick",
            {"type": "string", "enum": ["a", "b"]},
            {"output_annotation": "Literal['a', 'b']"},
            "classify",
            "literal_output",
        ),
        (
            "maybe_route",
            {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}]},
            {},
            "classify",
            "enum_output",
        ),
        (
            "extract_details",
            {"type": "object", "properties": {"name": {"type": "string"}}},
            {},
            "extract",
            "object_output",
        ),
        ("risk", {"type": "number"}, {}, "score", "number_output"),
        ("stars", {"type": "integer"}, {}, "score", "integer_output"),
        ("draft_reply", {"type": "string"}, {}, "generate", "string_name_hint"),
        ("summarize_thread", {"type": "string"}, {}, "summarize", "string_name_hint"),
        (
            "make_polite",
            {"type": "string"},
            {"intent": "Rewrite the text in a polite tone."},
            "rewrite",
            "string_name_hint",
        ),
        ("banner_text", {"type": "string"}, {}, "generate", "string_default"),
        ("tags", {"type": "array", "items": {"type": "string"}}, {}, "extract", "array_output"),
        ("anything", {}, {}, "generate", "untyped_default"),
        ("profile", {}, {"static_example": {"name": "Ada"}}, "extract", "object_output"),
    ],
)
def test_kind_follows_the_output_shape_then_the_name(
    spec: SpecFactory,
    name: str,
    schema: dict[str, object],
    extra: dict[str, object],
    kind: str,
    decided_by: str,
) -> None:
    decision = choose_kind(spec(name, schema, **extra), load_catalog())
    assert (decision.kind, decision.decided_by) == (kind, decided_by)
    assert decision.rationale and "\n" not in decision.rationale


def test_rationale_names_the_labels_and_the_hints(spec: SpecFactory) -> None:
    catalog = load_catalog()
    enum = choose_kind(spec("route_ticket", INTENT_ENUM), catalog)
    assert enum.rationale == "output is an enum of 3 labels (lost_card, billing, other): classify"
    hinted = choose_kind(spec("draft_reply", {"type": "string"}, intent="Draft a reply."), catalog)
    assert hinted.rationale == "output is of type string; name/intent mention draft, reply: generate"


def test_name_hints_outweigh_intent_hints(spec: SpecFactory) -> None:
    decision = choose_kind(spec("summarize", {"type": "string"}, intent="Write a brief rewrite."), load_catalog())
    assert decision.kind == "summarize"


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("classify", "classifier"),
        ("extract", "extractor"),
        ("generate", "writer"),
        ("rewrite", "writer"),
        ("summarize", "writer"),
        ("score", "scorer"),
    ],
)
def test_natural_role_wins_over_catalog_order(kind: str, role: str) -> None:
    # `coordinator` serves every kind and sorts before most roles: the natural role must still win.
    assert choose_role(kind, load_catalog()).name == role


def test_first_serving_role_when_the_natural_one_is_missing() -> None:
    builtin = load_catalog()
    roles = {name: role for name, role in builtin.roles.items() if name != "writer"}
    catalog = Catalog(kinds=builtin.kinds, roles=roles)
    assert choose_role("generate", catalog).name == "coordinator"


def test_a_kind_no_role_serves_is_a_plan_error(spec: SpecFactory) -> None:
    builtin = load_catalog()
    only = RoleSpec(name="classifier", description="d", instructions="i", kinds=["classify"])
    catalog = Catalog(kinds=builtin.kinds, roles={"classifier": only})
    with pytest.raises(PlanError, match="no agent role in the catalog serves the module kind 'score'"):
        make_plan([spec("risk", {"type": "number"})], root="/r", base_model="m", catalog=catalog)


def test_routes_and_policies(spec: SpecFactory) -> None:
    specs = [
        spec("route_ticket", INTENT_ENUM),
        spec("extract_details", {"type": "object", "properties": {}}),
        spec("draft_reply", {"type": "string"}),
        spec("risk", {"type": "number"}),
    ]
    plan = make_plan(specs, root="/r", base_model="m")
    retries = {m.kind: m.policy.max_retries for m in plan.modules}
    assert retries == {"classify": 0, "extract": 2, "generate": 1, "score": 1}
    for module in plan.modules:
        assert module.route.champion == "base"
        assert module.route.canary is None
        assert module.route.fallback == ["base", "static"]
        assert module.policy.static_fallback is True
        assert module.framework == "langgraph"

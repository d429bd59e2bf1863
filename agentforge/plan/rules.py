"""The deterministic planning rules, as pure functions, so every decision can be replayed and reviewed.

A kind is chosen from the shape of the module's output schema first (the contract the code already
declares), and only then from words in its name and intent; the catalog's `detection` section says which
kind claims which shape and which words, so a workspace that adds a kind also teaches the planner about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agentforge.artifacts import Framework, JsonSchema, ModuleSpec, Policy, Route
from agentforge.catalog import Catalog, KindSpec, RoleSpec
from agentforge.errors import PlanError

DEFAULT_KIND = "generate"
"""Chosen among several text kinds when neither the name nor the intent hints at one."""

NATURAL_ROLE = {
    "classify": "classifier",
    "extract": "extractor",
    "generate": "writer",
    "rewrite": "writer",
    "summarize": "writer",
    "score": "scorer",
}
"""The role a kind is meant for; a kind not listed here gets the first catalog role that serves it."""

RETRIES_BY_OUTPUT = {"json": 2, "label": 0, "text": 1, "number": 1}
"""Validation retries per output form: labels are constrained at decoding time so a retry cannot help;
JSON objects fail validation most often and profit most from feeding the error back."""

_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


@dataclass(frozen=True)
class KindDecision:
    kind: str
    decided_by: str
    """The rule's name, e.g. `enum_output`, `string_name_hint`, `string_default`."""
    rationale: str
    ambiguous_among: tuple[str, ...] = ()
    """The kinds the rules could not tell apart (no name hint matched, or a tie), best guess first; a model
    may be asked to choose among them (`plan/model_choice.py`)."""


def _resolve(schema: JsonSchema, defs: JsonSchema) -> JsonSchema:
    """Follow a local `$ref` into `$defs`, and unwrap `Optional[X]` (an anyOf with null) to `X`."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(ref.removeprefix("#/$defs/"))
        return _resolve(target, defs) if isinstance(target, dict) else schema
    members = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(members, list):
        non_null = [m for m in members if isinstance(m, dict) and m.get("type") != "null"]
        if len(non_null) == 1:
            return _resolve(non_null[0], defs)
    return schema


def output_shape(spec: ModuleSpec) -> str | None:
    """`enum`, `literal`, `object`, `string`, `number`, `integer`, `boolean`, `array`, another JSON type,
    or None when the output is untyped and no static example says otherwise."""
    schema = _resolve(spec.output_schema, spec.output_schema.get("$defs", {}))
    if "enum" in schema or "const" in schema:
        return "literal" if "Literal[" in (spec.output_annotation or "") else "enum"
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [t for t in kind if t != "null"]
        kind = non_null[0] if len(non_null) == 1 else "union"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if schema.get("anyOf") or schema.get("oneOf"):
        return "union"
    return _JSON_TYPES.get(type(spec.static_example))


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z]+", spaced.lower())


def _hits(kind: KindSpec, words: list[str]) -> list[str]:
    """The kind's name hints found in `words`; a hint matches any word it starts (`draft` in `drafts`)."""
    return [
        hint
        for hint in kind.detection.name_hints
        if all(any(w.startswith(part) for w in words) for part in hint.split("_"))
    ]


def _describe(shape: str | None, spec: ModuleSpec) -> str:
    schema = _resolve(spec.output_schema, spec.output_schema.get("$defs", {}))
    if shape in ("enum", "literal"):
        labels: list[Any] = schema.get("enum") or [schema.get("const")]
        shown = ", ".join(str(label) for label in labels[:5]) + (", ..." if len(labels) > 5 else "")
        return f"output is {'an' if shape == 'enum' else 'a'} {shape} of {len(labels)} labels ({shown})"
    if shape == "object":
        return f"output is an object ({spec.output_annotation or 'dict'})"
    if shape is None:
        return "output is untyped"
    if not spec.output_schema:
        return f"output is untyped but its static example is of type {shape}"
    return f"output is of type {shape}"


def choose_kind(spec: ModuleSpec, catalog: Catalog) -> KindDecision:
    """Pick the module kind: the one kind that claims the output shape, else the best name/intent match
    among those that claim it, else the default. Shapes no kind claims go to the JSON kinds (they carry any
    schema); an untyped output goes to the text kinds."""
    shape = output_shape(spec)
    described = _describe(shape, spec)
    if shape is None:
        candidates = [k for k in catalog.kinds.values() if k.output == "text"]
    else:
        candidates = [k for k in catalog.kinds.values() if shape in k.detection.output_types]
        if not candidates:
            candidates = [k for k in catalog.kinds.values() if k.output == "json"]
            described += ", which no kind claims; JSON kinds carry any schema"
    if not candidates:
        raise PlanError(f"{spec.id}: no module kind in the catalog can serve an output of shape {shape}")
    rule = shape or "untyped"
    if len(candidates) == 1:
        return KindDecision(candidates[0].name, f"{rule}_output", f"{described}: {candidates[0].name}")
    name_words, intent_words = _words(spec.name), _words(spec.intent)
    default = next((k for k in candidates if k.name == DEFAULT_KIND), candidates[0])
    ranked = sorted(candidates, key=lambda k: k is not default)  # ties go to the default, then catalog order

    def weight(kind: KindSpec) -> int:
        return 2 * len(_hits(kind, name_words)) + len(_hits(kind, intent_words))

    best = max(ranked, key=weight)
    if weight(best) == 0:
        return KindDecision(
            default.name,
            f"{rule}_default",
            f"{described}; no name hint matched: {default.name}",
            tuple(k.name for k in ranked),
        )
    hints = sorted(set(_hits(best, name_words + intent_words)))
    tied = tuple(k.name for k in ranked if weight(k) == weight(best))
    return KindDecision(
        best.name,
        f"{rule}_name_hint",
        f"{described}; name/intent mention {', '.join(hints)}: {best.name}",
        tied if len(tied) > 1 else (),
    )


def choose_role(kind: str, catalog: Catalog) -> RoleSpec:
    """The kind's natural role when the catalog has it and it serves the kind, else the first that does."""
    roles = catalog.roles_for(kind)
    if not roles:
        raise PlanError(f"no agent role in the catalog serves the module kind {kind!r}")
    return next((r for r in roles if r.name == NATURAL_ROLE.get(kind)), roles[0])


REVIEWER_ROLE = "reviewer"
"""The role that reviews a team's drafts (`plan --teams`)."""


def choose_reviewer(kind: KindSpec, catalog: Catalog) -> RoleSpec | None:
    """A team's reviewer for generation kinds (free text is where a second look can catch what a schema
    cannot), when the catalog has a reviewer role serving the kind that runs on LangGraph; else None."""
    role = catalog.roles.get(REVIEWER_ROLE)
    if kind.output != "text" or role is None or kind.name not in role.kinds or "langgraph" not in role.frameworks:
        return None
    return role


COORDINATOR_ROLE = "coordinator"
"""The role of a module that calls other planned modules (`compose_workflows`)."""
MODULE_TOOLS = "modules"
"""The tool a role lists when it may call other modules."""


def module_tools(spec: ModuleSpec, planned: set[str]) -> list[str]:
    """The planned modules `spec` calls, in call-graph order: the tools its coordinator calls first."""
    return [callee for callee in spec.calls if callee in planned and callee != spec.id]


def choose_coordinator(kind: str, catalog: Catalog) -> RoleSpec | None:
    """The catalog's coordinator when it serves the kind and may call modules; else None (the module keeps
    its single agent and its callees stay out of its prompt)."""
    role = catalog.roles.get(COORDINATOR_ROLE)
    if role is None or kind not in role.kinds or MODULE_TOOLS not in role.tools:
        return None
    return role


def choose_framework(role: RoleSpec) -> Framework:
    return "langgraph" if "langgraph" in role.frameworks or not role.frameworks else role.frameworks[0]


def initial_route() -> Route:
    """No adapter exists before the first training run: the base model answers, then the static value."""
    return Route(champion="base", fallback=["base", "static"])


def policy_for(kind: KindSpec) -> Policy:
    return Policy(max_retries=RETRIES_BY_OUTPUT[kind.output], static_fallback=True)

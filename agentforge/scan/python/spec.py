"""A detected stub's typed contract: signature, schemas, intent and the exact spans `build` rewrites."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from tree_sitter import Node

from agentforge.artifacts import JsonSchema, Language, ModuleSpec, Param
from agentforge.scan.extractor import Detection
from agentforge.scan.python.detect import TODO, comments_above
from agentforge.scan.python.index import RepoIndex
from agentforge.scan.python.literals import Static
from agentforge.scan.python.python_types import SchemaResolver
from agentforge.scan.python.sites import Site
from agentforge.scan.python.syntax import docstring, first_paragraph, last_name, nodes_of, span, text

_SKIPPED_PARAMS = frozenset({"keyword_separator", "positional_separator", "comment"})
_PRAGMA = re.compile(r"^#\s*(noqa|type:|pragma|pylint|fmt:|ruff:|mypy:|agentforge:)", re.IGNORECASE)
"""Comments addressed to tools, not readers: never part of an intent."""


def build_spec(
    site: Site, detection: Detection[Static], index: RepoIndex, source: bytes, warn: Callable[[str], None]
) -> ModuleSpec:
    module_id = f"{site.rel}::{site.qualname}"

    def located(message: str) -> None:
        warn(f"{module_id}: {message}")

    resolver = SchemaResolver(index, site.rel, located)
    returns = site.node.child_by_field_name("return_type")
    params = _params(site, resolver, located)
    if returns is None:
        located("no return annotation; the output schema is empty")
    outer = site.outer
    static = detection.static
    return ModuleSpec(
        id=module_id,
        name=site.qualname,
        language=Language.PYTHON,
        path=site.rel,
        span=span(outer),
        body_span=span(site.body),
        is_async=any(c.type == "async" for c in site.node.children),
        params=params,
        input_schema={
            "type": "object",
            "properties": {p.name: p.json_schema for p in params},
            "required": [p.name for p in params if p.required],
        },
        output_annotation=text(returns) if returns is not None else None,
        output_schema=resolver.schema(returns) if returns is not None else {},
        intent=_intent(site),
        static_example=static.value if static is not None else None,
        static_source=text(detection.static_node) if detection.static_node is not None else None,
        reasons=detection.reasons,
        confidence=detection.confidence,
        source_hash=hashlib.sha256(source[outer.start_byte : outer.end_byte]).hexdigest(),
    )


def _params(site: Site, resolver: SchemaResolver, warn: Callable[[str], None]) -> list[Param]:
    node = site.node.child_by_field_name("parameters")
    # The first parameter of a method is the bound instance or class: the caller never supplies it.
    bound = site.owner is not None and "staticmethod" not in {last_name(d) for d in site.decorators}
    out: list[Param] = []
    for param in node.named_children if node is not None else []:
        if param.type in _SKIPPED_PARAMS:
            continue
        if bound:
            bound = False
            continue
        out.append(_param(param, resolver, warn))
    return out


def _param(param: Node, resolver: SchemaResolver, warn: Callable[[str], None]) -> Param:
    name_node = param.child_by_field_name("name") or (param.named_children[0] if param.named_child_count else param)
    annotation = param.child_by_field_name("type")
    default = param.child_by_field_name("value")
    variadic = name_node.type if name_node.type in ("list_splat_pattern", "dictionary_splat_pattern") else None
    name = text(name_node).lstrip("*")
    schema: JsonSchema = {}
    if annotation is not None:
        schema = resolver.schema(annotation)
    else:
        warn(f"parameter `{name}` has no type annotation; its schema is empty")
    if variadic == "list_splat_pattern":
        schema = {"type": "array", "items": schema}
    elif variadic == "dictionary_splat_pattern":
        schema = {"type": "object", "additionalProperties": schema}
    literal = resolver.constant(default) if default is not None else None
    if literal is not None:
        schema = schema | {"default": literal.value}
    return Param(
        name=name,
        annotation=text(annotation) if annotation is not None else None,
        json_schema=schema,
        required=default is None and variadic is None,
    )


def _intent(site: Site) -> str:
    """Docstring first, then the author's comments, then the name itself: the best words available."""
    doc = first_paragraph(docstring(site.body))
    if doc:
        return doc
    notes = [text(c) for c in comments_above(site.outer)]
    notes += [text(c) for c in nodes_of("comment", site.node)]
    words = [TODO.sub("", n.lstrip("#")).strip(" :-") for n in notes if not _PRAGMA.match(n)]
    if any(words):
        return " ".join(w for w in words if w)
    split = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", site.name).replace("_", " ")
    return " ".join(split.lower().split())

"""Small helpers over tree-sitter-javascript / tree-sitter-typescript nodes, and static literal reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from agentforge.artifacts import ByteSpan

JAVASCRIPT = Language(tree_sitter_javascript.language())
TYPESCRIPT = Language(tree_sitter_typescript.language_typescript())
TSX = Language(tree_sitter_typescript.language_tsx())


def grammar_for(rel: str) -> Language:
    if rel.endswith(".tsx"):
        return TSX
    if rel.endswith((".ts", ".mts", ".cts")):
        return TYPESCRIPT
    return JAVASCRIPT


def parse(rel: str, source: bytes) -> Node:
    return Parser(grammar_for(rel)).parse(source).root_node


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def span(node: Node) -> ByteSpan:
    return ByteSpan(
        start_byte=node.start_byte,
        end_byte=node.end_byte,
        start_line=node.start_point.row + 1,
        end_line=node.end_point.row + 1,
    )


def descendants(node: Node | None) -> Iterator[Node]:
    if node is None:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


_BY_ROOT = {lang.id_for_node_kind("program", True): lang for lang in (JAVASCRIPT, TYPESCRIPT, TSX)}
"""Each grammar's root symbol has its own id, so a root tells which grammar parsed it (a query run on
another grammar's tree would silently match the wrong symbols)."""
_QUERIES: dict[tuple[int, tuple[str, ...]], Query | None] = {}


def find_all(root: Node, kinds: tuple[str, ...]) -> list[Node]:
    """Every node of one of `kinds` in the tree of `root`, in source order, found by tree-sitter's native
    query engine: a Python walk over every node of every file costs several times the parse."""
    grammar = _BY_ROOT.get(root.kind_id) if root.type == "program" and len(_BY_ROOT) == 3 else None
    if grammar is None:
        return [n for n in descendants(root) if n.type in kinds]
    key = (root.kind_id, kinds)
    if key not in _QUERIES:  # kinds the grammar lacks (`interface_declaration` in JS) cannot occur
        known = [k for k in kinds if grammar.id_for_node_kind(k, True) is not None]
        _QUERIES[key] = Query(grammar, "[" + " ".join(f"({k})" for k in known) + "] @node") if known else None
    query = _QUERIES[key]
    if query is None:
        return []
    found = QueryCursor(query).captures(root).get("node", [])
    return sorted(found, key=lambda n: (n.start_byte, -n.end_byte))


def comments_holding(root: Node, needle: bytes) -> list[Node]:
    """The comments under `root` whose text holds `needle`, in source order: the bytes are searched and the
    tree asked what each hit lies in, which spares creating a node for every comment of the file."""
    source = root.text or b""
    found: list[Node] = []
    at = source.find(needle)
    while at >= 0:
        start = root.start_byte + at
        node = root.descendant_for_byte_range(start, start + len(needle))
        if node is not None and node.type == "comment" and (not found or found[-1].start_byte != node.start_byte):
            found.append(node)
        at = source.find(needle, at + 1)
    return found


def unwrap(node: Node) -> Node:
    while node.type in ("parenthesized_expression", "as_expression", "satisfies_expression") and node.named_children:
        node = node.named_children[0]
    return node


def string_value(node: Node) -> str | None:
    """A string or a template without substitutions, as its text; None for anything else."""
    if node.type == "string":
        raw = text(node)
        if raw[:1] == '"':
            try:
                value = json.loads(raw)
                return value if isinstance(value, str) else None
            except ValueError:
                pass
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            return None
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    return None


@dataclass(frozen=True, slots=True)
class Static:
    value: Any


def literal(node: Node | None) -> Static | None:
    """The JSON value of a literal expression (strings, numbers, booleans, null, arrays, objects of those)."""
    if node is None:
        return None
    node = unwrap(node)
    kind = node.type
    string = string_value(node)
    if string is not None:
        return Static(string)
    if kind == "number":
        raw = text(node).replace("_", "")
        try:
            number = float(raw) if any(c in raw for c in ".eE") and not raw.startswith("0x") else int(raw, 0)
        except ValueError:
            return None
        return Static(number)
    if kind in ("true", "false"):
        return Static(kind == "true")
    if kind in ("null", "undefined"):
        return Static(None)
    if kind == "unary_expression" and text(node.child_by_field_name("operator")) == "-":
        inner = literal(node.child_by_field_name("argument"))
        return Static(-inner.value) if inner is not None and isinstance(inner.value, int | float) else None
    if kind == "array":
        values = []
        for child in node.named_children:
            item = literal(child) if child.type != "comment" else Static(None)
            if item is None:
                return None
            if child.type != "comment":
                values.append(item.value)
        return Static(values)
    if kind == "object":
        out: dict[str, Any] = {}
        for pair in node.named_children:
            if pair.type == "comment":
                continue
            if pair.type != "pair":
                return None
            key_node = pair.child_by_field_name("key")
            value = literal(pair.child_by_field_name("value"))
            if key_node is None or value is None:
                return None
            key = string_value(key_node) if key_node.type == "string" else text(key_node)
            if key is None or key_node.type == "computed_property_name":
                return None
            out[key] = value.value
        return Static(out)
    return None

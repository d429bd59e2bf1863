"""Small, total helpers over tree-sitter-python nodes, so the rules read as rules, not tree plumbing."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from agentforge.artifacts import ByteSpan

PYTHON = Language(tree_sitter_python.language())
_QUERIES = {kind: Query(PYTHON, f"({kind}) @node") for kind in ("comment", "call")}


def new_parser() -> Parser:
    """A parser per scan: tree-sitter parsers keep state and are not shared across threads."""
    return Parser(PYTHON)


def text(node: Node | None) -> str:
    """Node source as text; invalid UTF-8 becomes U+FFFD instead of failing the scan."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def unwrap(node: Node) -> Node:
    """Drop the `type` and parenthesis wrappers that carry no meaning of their own."""
    while node.type in ("type", "parenthesized_expression") and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def dotted(node: Node) -> str | None:
    """`a.b.c` for a plain name or attribute chain; None for anything computed."""
    node = unwrap(node)
    if node.type == "identifier":
        return text(node)
    if node.type == "attribute":
        obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        head = dotted(obj) if obj is not None else None
        if head is not None and attr is not None:
            return f"{head}.{text(attr)}"
    return None


def last_name(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def span(node: Node) -> ByteSpan:
    return ByteSpan(
        start_byte=node.start_byte,
        end_byte=node.end_byte,
        start_line=node.start_point.row + 1,
        end_line=node.end_point.row + 1,
    )


def string_value(node: Node) -> str | None:
    """A plain (non f-) string's value, escapes decoded by Python's own literal reader, which runs no code."""
    if node.type not in ("string", "concatenated_string"):
        return None
    raw = text(node)
    plain = _verbatim(raw)
    if plain is not None:
        return plain
    if "{" in raw and any(d.type == "interpolation" for d in descendants(node)):
        return None
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _verbatim(raw: str) -> str | None:
    """The value of a prefix-less string with nothing to decode (no backslash, CR or NUL), read without
    `literal_eval`, which costs a compile per string; None sends every other string the slow way."""
    quote = raw[:1]
    if quote not in ("'", '"') or "\\" in raw or "\r" in raw or "\0" in raw:
        return None
    if raw.startswith(quote * 3) and len(raw) >= 6 and raw.endswith(quote * 3):
        inner = raw[3:-3]
        return inner if quote * 3 not in inner and not inner.endswith(quote) else None
    inner = raw[1:-1]
    return inner if len(raw) >= 2 and raw[-1] == quote and quote not in inner and "\n" not in inner else None


def statements(block: Node) -> list[Node]:
    return [c for c in block.named_children if c.type != "comment"]


def longer_than(block: Node, limit: int) -> bool:
    """Whether `block` holds more than `limit` statements (comments aside), reading no further than that."""
    if block.named_child_count <= limit:
        return False
    count = 0
    for i in range(block.named_child_count):
        child = block.named_child(i)
        if child is not None and child.type != "comment":
            count += 1
            if count > limit:
                return True
    return False


def docstring_node(block: Node) -> Node | None:
    body = statements(block)
    if body and body[0].type == "expression_statement" and body[0].named_child_count == 1:
        only = body[0].named_children[0]
        if only.type in ("string", "concatenated_string"):
            return body[0]
    return None


def docstring(block: Node) -> str | None:
    node = docstring_node(block)
    value = string_value(node.named_children[0]) if node is not None else None
    return inspect.cleandoc(value) if value is not None else None


def first_paragraph(doc: str | None) -> str | None:
    if not doc:
        return None
    return " ".join(line.strip() for line in doc.split("\n\n", 1)[0].splitlines()) or None


def nodes_of(kind: str, node: Node) -> list[Node]:
    """Every `comment` or `call` node under `node`, found by tree-sitter's native query engine: every
    function of a large repository is searched for markers, and a Python-level walk is the bottleneck."""
    found = QueryCursor(_QUERIES[kind]).captures(node).get("node", [])
    return sorted(found, key=lambda n: n.start_byte)


def descendants(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def decorator_names(outer: Node) -> list[str]:
    """Dotted names of a decorated definition's decorators; `@x(...)` counts as `x`."""
    if outer.type != "decorated_definition":
        return []
    names = []
    for dec in outer.children:
        if dec.type != "decorator" or dec.named_child_count == 0:
            continue
        expr = unwrap(dec.named_children[0])
        if expr.type == "call" and (fn := expr.child_by_field_name("function")) is not None:
            expr = fn
        name = dotted(expr)
        if name is not None:
            names.append(name)
    return names


def definition(outer: Node) -> Node:
    """The class or function inside a possibly decorated definition."""
    if outer.type == "decorated_definition":
        inner = outer.child_by_field_name("definition")
        if inner is not None:
            return inner
    return outer

"""Stub detection: does a function only pretend to think?

A stub's body, docstring and comments aside, is one hard-coded answer (a literal, an enum member, a
constant object, an item of a MOCK_ collection) or no answer at all (`pass`, `...`,
`raise NotImplementedError`). Anything else is real computation and is left alone, unless the author marks
it with `# agentforge: dynamic` or `@dynamic`.
"""

from __future__ import annotations

import re
from typing import Any

from tree_sitter import Node

from agentforge.artifacts import DetectionReason
from agentforge.scan.extractor import Detection, reason
from agentforge.scan.python.classes import ClassKind
from agentforge.scan.python.index import RepoIndex
from agentforge.scan.python.literals import Shape, Static, evaluate
from agentforge.scan.python.sites import STUB_STATEMENTS, Site
from agentforge.scan.python.syntax import (
    descendants,
    docstring,
    docstring_node,
    dotted,
    last_name,
    longer_than,
    nodes_of,
    statements,
    string_value,
    text,
)

MARKER = re.compile(r"#\s*agentforge:\s*dynamic\b", re.IGNORECASE)
TODO = re.compile(r"\b(TODO|FIXME)\b")
PLACEHOLDER = re.compile(
    r"lorem ipsum|coming soon|placeholder|will get back to you|\bTBD\b|not (yet )?implemented", re.IGNORECASE
)
MOCK_NAME = re.compile(r"^_?(MOCK|FAKE|SAMPLE)_[A-Z0-9_]+$")
MOCK_WORD = re.compile(r"\b_?(MOCK|FAKE|SAMPLE)_")
NEVER_STUBS = frozenset({"overload", "abstractmethod", "abstractproperty", "abstractclassmethod"})
"""Decorators whose functions are declarations by design: their empty bodies are the point."""


def detect(site: Site, index: RepoIndex) -> Detection[Static] | None:
    body = site.body
    names = {last_name(d) for d in site.decorators}
    if names & NEVER_STUBS or site.owner_kind is ClassKind.PROTOCOL:
        return None
    if any(d.endswith((".setter", ".deleter")) for d in site.decorators):
        return None
    marker = _marker(site)
    if site.name.startswith("__") and site.name.endswith("__") and marker is None:
        return None
    found = _body(site, body, index)
    if found is None:
        return Detection([marker]) if marker is not None else None
    reasons = ([marker] if marker is not None else []) + found.reasons + _hints(site, body, index)
    return Detection(reasons, found.static, found.static_node)


def _marker(site: Site) -> DetectionReason | None:
    if any(last_name(d) == "dynamic" for d in site.decorators):
        return reason("explicit_marker", "A @dynamic decorator marks the function as dynamic.", 1.0)
    if not site.mentions_marker:
        return None
    comments = comments_above(site.outer)
    # Every `MARKER` match holds these ASCII letters (none has a non-ASCII case fold), so a byte search
    # spares the comment query in almost every function.
    if b"agentforge" in (site.outer.text or b"").lower():
        comments += nodes_of("comment", site.outer)
    if any(MARKER.search(text(c)) for c in comments):
        return reason("explicit_marker", "An `# agentforge: dynamic` comment marks the function.", 1.0)
    return None


def comments_above(outer: Node) -> list[Node]:
    """The unbroken run of comment lines directly above a definition, nearest last."""
    found: list[Node] = []
    line = outer.start_point.row
    node = outer.prev_sibling
    while node is not None and node.type == "comment" and node.end_point.row == line - 1:
        found.insert(0, node)
        line = node.start_point.row
        node = node.prev_sibling
    return found


def _body(site: Site, body: Node, index: RepoIndex) -> Detection[Static] | None:
    if longer_than(body, STUB_STATEMENTS):
        return None  # most bodies: decided without building their statement lists
    doc = docstring_node(body)
    rest = [s for s in statements(body) if s != doc]
    if not rest:
        return Detection([reason("not_implemented", "The body is only a docstring.", 0.7)])
    if len(rest) > 1:
        return None
    stmt = rest[0]
    if stmt.type == "pass_statement":
        return Detection([reason("not_implemented", "The body is only `pass`.", 0.7)])
    if stmt.type == "expression_statement" and [c.type for c in stmt.named_children] == ["ellipsis"]:
        return Detection([reason("not_implemented", "The body is only `...`.", 0.7)])
    if stmt.type == "raise_statement" and _raises_not_implemented(stmt):
        return Detection([reason("not_implemented", "The body only raises NotImplementedError.", 0.9)])
    if stmt.type == "return_statement":
        value = stmt.named_children[0] if stmt.named_child_count else None
        if value is None:
            return Detection([reason("returns_literal", "The body is a bare `return`.", 0.6)], Static(None))
        return _returned(site, value, index)
    return None


def _raises_not_implemented(stmt: Node) -> bool:
    exc = stmt.named_children[0] if stmt.named_child_count else None
    if exc is not None and exc.type == "call":
        exc = exc.child_by_field_name("function")
    name = dotted(exc) if exc is not None else None
    return name is not None and last_name(name) == "NotImplementedError"


def _returned(site: Site, value: Node, index: RepoIndex) -> Detection[Static] | None:
    static = evaluate(value, index, site.rel)
    if static is not None:
        if static.shape is Shape.ENUM_MEMBER:
            detail = f"The body only returns the fixed enum member `{text(value)}`."
            return Detection([reason("returns_enum_member", detail, 0.75)], static, value)
        if static.shape is Shape.OBJECT:
            if not static.value:
                return None  # `Model()` is a factory of defaults, not a hard-coded answer
            detail = f"The body only returns a `{static.type_name}` built from constant arguments."
            return Detection([reason("returns_constant_object", detail, 0.75)], static, value)
        detail = f"The body only returns a hard-coded {type(static.value).__name__} literal."
        return Detection([reason("returns_literal", detail, 0.6)], static, value)
    if not MOCK_WORD.search(text(value)):
        return None
    mock = next((n for n in descendants(value) if _is_mock(n)), None)
    if mock is None or text(mock) in _param_names(site):
        return None
    example = _mock_example(value, mock, index, site.rel)
    detail = f"The body only returns data drawn from the mock collection `{text(mock)}`."
    return Detection([reason("returns_mock_data", detail, 0.8)], example, value)


def _param_names(site: Site) -> set[str]:
    params = site.node.child_by_field_name("parameters")
    return {text(n) for n in descendants(params) if n.type == "identifier"} if params is not None else set()


def _mock_example(value: Node, mock: Node, index: RepoIndex, rel: str) -> Static | None:
    """A representative item: the one a constant subscript picks, else the collection's first."""
    collection_node = index.find_constant(text(mock), rel)
    collection = evaluate(collection_node, index, rel) if collection_node is not None else None
    if collection is None:
        return None
    items: Any = collection.value
    if value == mock:
        return collection
    key_node = value.child_by_field_name("subscript") if value.type == "subscript" else None
    key = evaluate(key_node) if key_node is not None and value.child_by_field_name("value") == mock else None
    if (
        key is not None
        and isinstance(items, list)
        and isinstance(key.value, int)
        and -len(items) <= key.value < len(items)
    ):
        return Static(items[key.value])
    if key is not None and isinstance(items, dict) and key.value in items:
        return Static(items[key.value])
    if isinstance(items, dict):
        items = list(items.values())
    return Static(items[0]) if isinstance(items, list) and items else None


def _hints(site: Site, body: Node, index: RepoIndex) -> list[DetectionReason]:
    """Supporting evidence that only ever adds to a body that is already a stub."""
    hints = []
    notes = [text(c) for c in nodes_of("comment", site.node)] + [docstring(body) or ""]
    tag = next((m.group(1) for n in notes if (m := TODO.search(n))), None)
    if tag is not None:
        hints.append(reason("todo_marker", f"A {tag} note marks the function as unfinished.", 0.5))
    raw = text(body)
    if "\\" not in raw and not MOCK_WORD.search(raw) and not PLACEHOLDER.search(raw):
        return hints  # unescaped strings are slices of `raw`, and no mock is named: no phrase can be found
    doc = docstring_node(body)
    written = [n for stmt in statements(body) if stmt != doc for n in descendants(stmt)]
    mocks = [index.find_constant(text(n), site.rel) for n in written if _is_mock(n)]
    written += [n for mock in mocks if mock is not None for n in descendants(mock)]
    strings = (string_value(n) or "" for n in written if n.type == "string")
    phrase = next((m.group(0) for s in strings if (m := PLACEHOLDER.search(s))), None)
    if phrase is not None:
        detail = f"The hard-coded text holds the placeholder phrase {phrase!r}."
        hints.append(reason("placeholder_text", detail, 0.6))
    return hints


def _is_mock(node: Node) -> bool:
    return node.type == "identifier" and MOCK_NAME.match(text(node)) is not None

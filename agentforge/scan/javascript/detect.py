"""Sites (the functions of a file) and stub detection for JavaScript and TypeScript.

A stub's body is one hard-coded answer (a literal, an item of a mock collection, a random pick over a
literal list), the same answer behind a fake delay, or no answer at all (empty, TODO-only, `throw new
Error("not implemented")`). Real computation is left alone unless a `// agentforge: dynamic` (or
`// @agentforge`) comment directly above marks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from agentforge.artifacts import DetectionReason
from agentforge.scan.extractor import Detection, reason
from agentforge.scan.javascript.syntax import Static, descendants, literal, string_value, text, unwrap

MARKER = re.compile(r"(//|/\*)\s*(@agentforge\b|agentforge:\s*dynamic\b)", re.IGNORECASE)
TODO = re.compile(r"\b(TODO|FIXME)\b")
PLACEHOLDER = re.compile(r"lorem ipsum|coming soon|placeholder|will get back to you|\bTBD\b", re.IGNORECASE)
MOCK_NAME = re.compile(r"^_?((MOCK|FAKE|SAMPLE)_[A-Z0-9_]+|(mock|fake)[A-Z0-9]\w*)$")
MOCK_HINT = re.compile(rb"MOCK_|FAKE_|SAMPLE_|mock|fake")
"""ASCII every `MOCK_NAME` match contains: source without it names no mock collection."""
NOT_IMPLEMENTED = re.compile(r"not (yet )?implemented|\bTODO\b|\bstub\b", re.IGNORECASE)
STUB_ENDINGS = (None, "return_statement", "throw_statement")
"""The last statement of a stub's block body (None: an empty body); every other ending is real code."""
FUNCTIONS = ("function_declaration", "generator_function_declaration", "function_expression", "arrow_function")


@dataclass(frozen=True, slots=True)
class Site:
    rel: str
    name: str
    """Qualified name inside the file: `f`, `Class.method`, or `default` for an anonymous default export."""
    node: Node
    outer: Node
    """The whole declaration, `export` included."""
    body: Node


@dataclass(slots=True)
class FileFacts:
    """A file's module-level names, read on first use: only stubs ask, and most files hold none."""

    rel: str
    root: Node
    mentions_marker: bool = True
    """False when the file never spells `agentforge` (any case): none of its comments can be a marker."""
    _names: tuple[dict[str, Node], set[str]] | None = field(default=None, repr=False, compare=False)

    @property
    def constants(self) -> dict[str, Node]:
        """Module-level `const NAME = <expr>` values."""
        return self._read()[0]

    @property
    def imports(self) -> set[str]:
        return self._read()[1]

    def _read(self) -> tuple[dict[str, Node], set[str]]:
        if self._names is None:
            constants: dict[str, Node] = {}
            imports: set[str] = set()
            for stmt in self.root.named_children:
                decl = stmt.child_by_field_name("declaration") if stmt.type == "export_statement" else stmt
                if decl is not None and decl.type in ("lexical_declaration", "variable_declaration"):
                    for d in decl.named_children:
                        name, value = d.child_by_field_name("name"), d.child_by_field_name("value")
                        if d.type == "variable_declarator" and name is not None and value is not None:
                            constants[text(name)] = value
                if stmt.type == "import_statement":
                    imports |= {text(n) for n in descendants(stmt) if n.type == "identifier"}
            self._names = constants, imports
        return self._names


def facts(rel: str, root: Node) -> FileFacts:
    return FileFacts(rel, root, b"agentforge" in (root.text or b"").lower())


def sites(rel: str, root: Node) -> list[Site]:
    """The file's top-level functions and class methods, less those that cannot be stubs (a block body not
    ending in `return` or `throw`, in a file where no comment can mark it dynamic)."""
    found: list[Site] = []
    mentions = b"agentforge" in (root.text or b"").lower()
    for stmt in root.named_children:
        outer = stmt
        decl = stmt
        if stmt.type == "export_statement":
            decl = stmt.child_by_field_name("declaration") or stmt.child_by_field_name("value") or stmt
        if decl.type in FUNCTIONS:
            name = decl.child_by_field_name("name")
            _add(found, rel, text(name) if name is not None else "default", decl, outer, mentions)
        elif decl.type in ("lexical_declaration", "variable_declaration"):
            for d in decl.named_children:
                value, name = d.child_by_field_name("value"), d.child_by_field_name("name")
                if value is not None and name is not None and value.type in FUNCTIONS:
                    _add(found, rel, text(name), value, outer, mentions)
        elif decl.type in ("class_declaration", "abstract_class_declaration", "class"):
            cls = text(decl.child_by_field_name("name")) or "default"
            body = decl.child_by_field_name("body")
            for member in body.named_children if body is not None else []:
                method = member.child_by_field_name("name")
                if member.type == "method_definition" and method is not None and text(method) != "constructor":
                    _add(found, rel, f"{cls}.{text(method)}", member, member, mentions)
    return found


def _add(found: list[Site], rel: str, name: str, node: Node, outer: Node, mentions: bool) -> None:
    body = node.child_by_field_name("body")
    if body is None:
        return
    if not mentions and body.type == "statement_block" and _last_statement_type(body) not in STUB_ENDINGS:
        return  # real code, and nothing marks it dynamic: `detect` would pass it by
    found.append(Site(rel, name, node, outer, body))


def is_async(site: Site) -> bool:
    return any(c.type == "async" for c in site.node.children)


def comments_above(outer: Node) -> list[Node]:
    found: list[Node] = []
    line = outer.start_point.row
    node = outer.prev_sibling
    while node is not None and node.type == "comment" and node.end_point.row >= line - 1:
        found.insert(0, node)
        line = node.start_point.row
        node = node.prev_sibling
    return found


def detect(site: Site, file: FileFacts) -> Detection[Static] | None:
    marker = None
    if file.mentions_marker and any(MARKER.search(text(c)) for c in comments_above(site.outer)):
        marker = reason("explicit_marker", "An `// agentforge: dynamic` comment marks the function.", 1.0)
    found = _body(site, file)
    if found is None:
        return Detection([marker]) if marker is not None else None
    reasons = ([marker] if marker is not None else []) + found.reasons + _hints(site, file)
    return Detection(reasons, found.static, found.static_node)


def _statements(body: Node) -> list[Node]:
    return [s for s in body.named_children if s.type not in ("comment", "empty_statement")]


def _last_statement_type(body: Node) -> str | None:
    for i in range(body.named_child_count - 1, -1, -1):
        child = body.named_child(i)
        if child is not None and child.type not in ("comment", "empty_statement"):
            return child.type
    return None


def _body(site: Site, file: FileFacts) -> Detection[Static] | None:
    body = site.body
    if body.type != "statement_block":
        return _returned(site, unwrap(body), file)
    if _last_statement_type(body) not in STUB_ENDINGS:
        return None  # most bodies: no stub shape ends any other way, so skip listing their statements
    stmts = _statements(body)
    if not stmts:
        return Detection([reason("not_implemented", "The body is empty.", 0.7)])
    if len(stmts) == 1 and stmts[0].type == "throw_statement":
        if NOT_IMPLEMENTED.search(text(stmts[0])):
            return Detection([reason("not_implemented", "The body only throws a 'not implemented' error.", 0.9)])
        return None
    if len(stmts) == 2 and _is_sleep(stmts[0]) and stmts[1].type == "return_statement":
        value = stmts[1].named_children[0] if stmts[1].named_children else None
        static = literal(value)
        if static is None or value is None:
            return None
        latency = reason("simulated_latency", "The body waits on a timer, then returns a fixed value.", 0.8)
        returned = reason("returns_literal", "The body only returns a hard-coded literal.", 0.6)
        return Detection([latency, returned], static, value)
    *setup, last = stmts
    if last.type != "return_statement" or not last.named_children:
        return None
    if setup and not all(_is_literal_const(s) for s in setup):
        return None
    local = {
        text(n): v
        for s in setup
        for d in s.named_children
        if (n := d.child_by_field_name("name")) and (v := d.child_by_field_name("value"))
    }
    value = unwrap(last.named_children[0])
    if setup and _random_pick(value, local) is None:
        return None
    return _returned(site, value, file, local)


def _is_sleep(stmt: Node) -> bool:
    """`await new Promise(r => setTimeout(r, N))` (or `await sleep(N)` / `await delay(N)`)."""
    if stmt.type != "expression_statement" or not stmt.named_children:
        return False
    expr = stmt.named_children[0]
    if expr.type != "await_expression":
        return False
    source = text(expr)
    return "setTimeout" in source or re.match(r"await\s+(sleep|delay|wait)\s*\(", source) is not None


def _is_literal_const(stmt: Node) -> bool:
    if stmt.type not in ("lexical_declaration", "variable_declaration"):
        return False
    return all(literal(d.child_by_field_name("value")) is not None for d in stmt.named_children)


def _random_pick(value: Node, local: dict[str, Node]) -> Node | None:
    """The collection of `xs[Math.floor(Math.random() * xs.length)]`, or None."""
    if value.type != "subscript_expression" or "Math.random" not in text(value.child_by_field_name("index")):
        return None
    return value.child_by_field_name("object")


def _returned(
    site: Site, value: Node, file: FileFacts, local: dict[str, Node] | None = None
) -> Detection[Static] | None:
    local = local or {}
    if value.type == "new_expression" and text(value.child_by_field_name("constructor")) == "Promise":
        inner = _resolved_by_timer(value)
        if inner is not None:
            static = literal(inner)
            if static is not None:
                latency = reason("simulated_latency", "The body resolves a fixed value after a timer.", 0.8)
                returned = reason("returns_literal", "The resolved value is a hard-coded literal.", 0.6)
                return Detection([latency, returned], static, inner)
        return None
    static = literal(value)
    if static is not None:
        detail = f"The body only returns a hard-coded {type(static.value).__name__} literal."
        return Detection([reason("returns_literal", detail, 0.6)], static, value)
    mock = None
    if MOCK_HINT.search(value.text or b""):  # most returned expressions cannot name a mock: skip the walks
        params = {text(n) for n in descendants(site.node.child_by_field_name("parameters")) if n.type == "identifier"}
        mock = next((n for n in descendants(value) if _is_mock(n) and text(n) not in params), None)
    if mock is not None:
        example = _mock_example(value, mock, file)
        detail = f"The body only returns data drawn from the mock collection `{text(mock)}`."
        return Detection([reason("returns_mock_data", detail, 0.8)], example, value)
    collection = _random_pick(value, local)
    if collection is not None:
        source = local.get(text(collection)) or file.constants.get(text(collection)) or collection
        items = literal(source)
        if items is not None and isinstance(items.value, list) and items.value:
            detail = "The body answers with a random pick from a hard-coded list."
            return Detection([reason("random_literal_pick", detail, 0.7)], Static(items.value[0]), source)
    return None


def _resolved_by_timer(new: Node) -> Node | None:
    """`X` in `new Promise(resolve => setTimeout(() => resolve(X), N))`."""
    if "setTimeout" not in text(new):
        return None
    for node in descendants(new):
        fn = node.child_by_field_name("function") if node.type == "call_expression" else None
        if fn is not None and text(fn) in ("resolve", "res", "r"):
            args = node.child_by_field_name("arguments")
            return args.named_children[0] if args is not None and args.named_children else None
    return None


def _mock_example(value: Node, mock: Node, file: FileFacts) -> Static | None:
    collection = literal(file.constants.get(text(mock)))
    if collection is None:
        return None
    items: Any = collection.value
    if value == mock:
        return collection
    if value.type == "subscript_expression" and value.child_by_field_name("object") == mock:
        key = literal(value.child_by_field_name("index"))
        if key is not None and isinstance(items, list) and isinstance(key.value, int) and 0 <= key.value < len(items):
            return Static(items[key.value])
        if key is not None and isinstance(items, dict) and key.value in items:
            return Static(items[key.value])
    if isinstance(items, dict):
        items = list(items.values())
    return Static(items[0]) if isinstance(items, list) and items else collection


def _hints(site: Site, file: FileFacts) -> list[DetectionReason]:
    hints = []
    notes = [text(c) for c in descendants(site.node) if c.type == "comment"]
    notes += [text(c) for c in comments_above(site.outer)]
    tag = next((m.group(1) for n in notes if (m := TODO.search(n))), None)
    if tag is not None:
        hints.append(reason("todo_marker", f"A {tag} note marks the function as unfinished.", 0.5))
    written = list(descendants(site.body))
    written += [n for m in list(written) if _is_mock(m) for n in descendants(file.constants.get(text(m)))]
    strings = (string_value(n) or "" for n in written if n.type in ("string", "template_string"))
    phrase = next((m.group(0) for s in strings if (m := PLACEHOLDER.search(s))), None)
    if phrase is not None:
        hints.append(reason("placeholder_text", f"The hard-coded text holds the placeholder phrase {phrase!r}.", 0.6))
    return hints


def _is_mock(node: Node) -> bool:
    return node.type == "identifier" and MOCK_NAME.match(text(node)) is not None

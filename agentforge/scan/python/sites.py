"""Where candidate modules live: every function of a file, named as Python names it.

Module-level functions (also those under a module-level `if`/`try`/`with`) are `f`, methods `Class.method`,
nested functions `outer.inner` (`Class.method.inner`). All are found by one tree-sitter query per file, so a
large repository costs no Python-level walk; a function is then passed over before any object is built
for it unless something could make it a stub (`worth_reading`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from agentforge.scan.hints import Hints
from agentforge.scan.intent import MOCK_WORDS, intended, words
from agentforge.scan.python.classes import ClassInfo, ClassKind, class_info
from agentforge.scan.python.index import RepoIndex
from agentforge.scan.python.syntax import decorator_names, longer_than, text

STUB_STATEMENTS = 2
"""A body this short (comments aside) is always read: it is cheap, and most stubs are this short."""
TIMID_STATEMENTS = 6
HINTED_STATEMENTS = 10
"""The longest body a mock word, a TODO or a placeholder gets read for: a stub is short, and libraries leave
TODOs in long real functions."""
INTENT_STATEMENTS = 12
"""The longest body read for its name alone (a keyword `if` chain, a list of canned dicts built up)."""
"""How long a body may be for a timid hint (`hints.TIMID`) to get it read."""
_CONTAINERS = frozenset({"if_statement", "for_statement", "while_statement", "try_statement", "with_statement",
                         "match_statement", "elif_clause", "else_clause", "except_clause", "except_group_clause",
                         "finally_clause", "case_clause", "block", "decorated_definition"})  # fmt: skip
"""Statements that can hold a definition: the walk for functions enters these and nothing else."""


@dataclass(frozen=True, slots=True)
class Site:
    rel: str
    outer: Node
    """The definition with its decorators: the module's whole span."""
    node: Node
    """The `function_definition` itself."""
    name: str
    body: Node
    """The function's `block`: the bytes `build` replaces."""
    qualname: str
    decorators: list[str]
    owner: ClassInfo | None = None
    """The class the function is a method of (directly in its body)."""
    owner_kind: ClassKind | None = None
    mentions_marker: bool = True
    """False when the file never spells `agentforge` (any case): no comment of it can be a dynamic marker,
    so detection skips looking for one."""
    scope: str = ""
    """The qualified name of what encloses it (`Class`, `outer`), empty at module level."""
    read: bool = True
    """Whether it is judged on its own; the others are read only when a judged function calls them."""

    @property
    def is_method(self) -> bool:
        return self.owner is not None


class Functions:
    """Every function of a file by name. A site is built only for the functions worth reading and for the
    helpers those call (`find`): most functions of a large repository never become an object."""

    def __init__(self, rel: str, index: RepoIndex, mentions: bool) -> None:
        self.rel = rel
        self._index = index
        self._mentions = mentions
        self._by_name: dict[bytes, list[Node]] = {}
        self._sites: dict[int, Site] = {}
        self._classes: dict[int, ClassInfo | None] = {}

    def add(self, name: bytes, node: Node) -> None:
        self._by_name.setdefault(name, []).append(node)

    def site(self, node: Node, *, read: bool) -> Site:
        key = node.start_byte
        if key not in self._sites:
            parent = node.parent
            outer = parent if parent is not None and parent.type == "decorated_definition" else node
            name, body = text(node.child_by_field_name("name")), node.child_by_field_name("body")
            assert body is not None
            scope, owner = _scope(outer, self.rel, self._classes)
            kind = self._index.kind(owner) if owner is not None and read else None
            qualname = f"{scope}.{name}" if scope else name
            site = Site(self.rel, outer, node, name, body, qualname, decorator_names(outer), owner, kind,
                        self._mentions, scope, read)  # fmt: skip
            self._sites[key] = site
        return self._sites[key]

    def find(self, qualname: str) -> Site | None:
        """The function of this file with that qualified name (the last one defined), if any."""
        found = None
        for node in self._by_name.get(qualname.rsplit(".", 1)[-1].encode(), []):
            site = self.site(node, read=False)
            if site.qualname == qualname:
                found = site
        return found


def sites(rel: str, root: Node, index: RepoIndex) -> tuple[list[Site], Functions]:
    """The functions of the file worth reading, in source order, each with its qualified name, and the table
    of all its functions (for the helpers those call)."""
    source = root.text or b""
    mentions = b"agentforge" in source.lower()
    mock_path = bool(set(words(rel)) & MOCK_WORDS)
    hints = Hints(source)
    table = Functions(rel, index, mentions)
    read: list[Site] = []
    for node in functions(root):
        name_node, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name_node is None or body is None:
            continue
        table.add(name_node.text or b"", node)
        if mentions or mock_path or worth_reading(node, name_node, body, hints):
            read.append(table.site(node, read=True))
    return read, table


def functions(root: Node) -> list[Node]:
    """Every function definition of a file, in source order. Definitions live among statements only, so the
    walk never enters an expression: a third of the time a query over every node takes."""
    found: list[Node] = []
    stack = [root]
    while stack:
        for child in stack.pop().named_children:
            kind = child.type
            if kind in ("function_definition", "class_definition"):
                if kind == "function_definition":
                    found.append(child)
                body = child.child_by_field_name("body")
                if body is not None:
                    stack.append(body)
            elif kind in _CONTAINERS:
                stack.append(child)
    found.sort(key=lambda n: n.start_byte)
    return found


def worth_reading(node: Node, name: Node, body: Node, hints: Hints) -> bool:
    """Whether a function could be a stub: marked, short with an answer written as content, hinting at a
    fake in its bytes, answering a literal at its end, or named (or enclosed) for smart work or as a mock.
    Everything else is real code, passed over unread; the cheap tests come first."""
    parent = node.parent
    if (
        parent is not None
        and parent.type == "decorated_definition"
        and b"dynamic" in (parent.text or b"")[: node.start_byte - parent.start_byte]
    ):
        return True
    if not longer_than(body, STUB_STATEMENTS) and _short_may_fake(body):
        return True
    start, end = body.start_byte, body.end_byte
    if hints.strong(start, end) and not longer_than(body, HINTED_STATEMENTS):
        return True
    if hints.timid(start, end) and not longer_than(body, TIMID_STATEMENTS):
        return True
    last = body.named_children[-1] if body.named_child_count else None
    value = (
        last.named_children[0] if last is not None and last.type == "return_statement" and last.named_children else None
    )
    if value is not None and value.type in ("dictionary", "list", "string", "concatenated_string", "tuple"):
        return True
    if longer_than(body, INTENT_STATEMENTS):
        return False  # a long body with none of the above is real work, whatever its name
    return any(_intended(n) for n in [name, *_enclosing_names(node)])


def _intended(name: Node) -> bool:
    return intended(text(name))


def _enclosing_names(node: Node) -> list[Node]:
    found = []
    current = node.parent
    while current is not None:
        if current.type in ("class_definition", "function_definition"):
            name = current.child_by_field_name("name")
            if name is not None:
                found.append(name)
        current = current.parent
    return found


SELF = frozenset({b"self", b"cls"})
_LOGS = (b"print", b"log", b"logger.", b"logging.", b"console.", b"warnings.warn", b"time.sleep", b"asyncio.sleep")
_ANSWERING = (b"random.", b"secrets.choice")
_ANSWERING_METHODS = frozenset({b"choice", b"choices", b"sample", b"format", b"join"})


def _short_may_fake(body: Node) -> bool:
    """Whether a short body could be a stub with no word saying so, from its last statement alone: only an
    answer written as content (a literal, a constant, an enum member, an f-string, a model built in place,
    a random pick) or no answer at all (`pass`, `...`, a refusal, a log line, a yield) can be one. A setter,
    a call for its effect, a field read, a branch, a loop or a call to another function is real code or, for
    delegation, named for what it delegates (`worth_reading` reads those by their words)."""
    last = body.named_children[-1] if body.named_child_count else None
    while last is not None and last.type == "comment":
        last = last.prev_named_sibling
    if last is None:
        return True
    kind = last.type
    if kind in ("pass_statement", "raise_statement"):
        return True
    if kind == "expression_statement" and last.named_child_count:
        expr = last.named_children[0]
        if expr.type == "call":
            fn = expr.child_by_field_name("function")
            return fn is not None and (fn.text or b"").startswith(_LOGS)
        return expr.type in ("string", "concatenated_string", "ellipsis", "yield")
    if kind != "return_statement":
        return False
    if not last.named_child_count:
        return True
    return _content(last.named_children[0])


_CONTENT = frozenset({"string", "concatenated_string", "integer", "float", "true", "false", "none", "list", "tuple",
                      "dictionary", "set", "unary_operator", "identifier", "subscript", "conditional_expression",
                      "binary_operator", "expression_list", "parenthesized_expression"})  # fmt: skip


def _content(value: Node) -> bool:
    kind = value.type
    if kind in _CONTENT:
        return True
    if kind == "attribute":
        return _root(value) not in SELF
    if kind == "call":
        fn = value.child_by_field_name("function")
        if fn is None:
            return False
        if fn.type == "identifier":
            return (fn.text or b"")[:1].isupper()  # a model or dataclass built in place
        obj = fn.child_by_field_name("object")
        method = fn.child_by_field_name("attribute")
        if obj is not None and obj.type in ("string", "concatenated_string"):
            return True
        return (fn.text or b"").startswith(_ANSWERING) or (method is not None and method.text in _ANSWERING_METHODS)
    return False


def _root(node: Node) -> bytes:
    while node.type in ("attribute", "subscript", "call"):
        inner = (
            node.child_by_field_name("object")
            or node.child_by_field_name("value")
            or node.child_by_field_name("function")
        )
        if inner is None:
            break
        node = inner
    return node.text or b""


def _scope(outer: Node, rel: str, classes: dict[int, ClassInfo | None]) -> tuple[str, ClassInfo | None]:
    """The dotted names of the classes and functions enclosing `outer`, and the class it is a method of."""
    names: list[str] = []
    owner: ClassInfo | None = None
    first = True
    node = outer.parent
    while node is not None:
        kind = node.type
        if kind in ("class_definition", "function_definition"):
            name = node.child_by_field_name("name")
            if name is not None:
                names.append(text(name))
            if kind == "class_definition" and first:
                owner = _class(node, rel, classes)
            first = False
        node = node.parent
    return ".".join(reversed(names)), owner


def _class(node: Node, rel: str, classes: dict[int, ClassInfo | None]) -> ClassInfo | None:
    key = node.start_byte
    if key not in classes:
        parent = node.parent
        outer = parent if parent is not None and parent.type == "decorated_definition" else node
        classes[key] = class_info(outer, node, rel)
    return classes[key]

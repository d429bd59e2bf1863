"""Where candidate modules live in JavaScript and TypeScript: every named function, named by one convention.

Top-level `function f` and `const f = () => …` are `f`; class members `Class.method` (fields holding arrows
too); object-literal members `Object.member` (`const api = { translate() {…} }` → `api.translate`); functions
nested in others `Enclosing.inner`, through the nearest named enclosing functions, classes and bound objects,
skipping anonymous wrappers (`useEffect(() => …)` callbacks, zustand's `create((set) => …)` counts as the
binding it is passed to). Anonymous callbacks (inline handlers, `.map(x => …)`) are no sites.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from agentforge.scan.evidence import Value
from agentforge.scan.hints import Hints
from agentforge.scan.intent import MOCK_WORDS, intended, words
from agentforge.scan.javascript.syntax import descendants, find_all, text

FUNCTIONS = ("function_declaration", "generator_function_declaration", "function_expression", "arrow_function",
             "generator_function", "method_definition")  # fmt: skip
STUB_STATEMENTS = 2
TIMID_STATEMENTS = 8
"""How long a body may be for a timid hint (`hints.TIMID`) to get it read."""


@dataclass(frozen=True, slots=True)
class Site:
    rel: str
    name: str
    """Qualified name inside the file: `f`, `Class.method`, `Object.member`, `Enclosing.inner`, `default`."""
    node: Node
    outer: Node
    """The whole declaration, `export` and `const` included (a method or object member: the member)."""
    body: Node
    scope: str = ""
    """The qualified name of what encloses it, empty at the top level."""
    kind: str = "function"
    """`method` for class members, `member` for object-literal members, else `function`."""
    read: bool = True
    """Whether it is judged on its own; the others are read only when a judged function calls them."""


@dataclass(slots=True)
class FileFacts:
    """A file's module-level names, read on first use: only stubs ask, and most files hold none."""

    rel: str
    root: Node
    mentions_marker: bool = True
    """False when the file never spells `agentforge` (any case): none of its comments can be a marker."""
    _names: tuple[dict[str, Node], set[str]] | None = field(default=None, repr=False, compare=False)
    values: dict[str, Value] = field(default_factory=dict, repr=False, compare=False)
    """The values of the module constants the file's functions read, each read once."""

    @property
    def constants(self) -> dict[str, Node]:
        """Module-level `const NAME = <expr>` values."""
        return self._read()[0]

    @property
    def imports(self) -> set[str]:
        """Names imported from the repository's own files (relative specifiers and path aliases)."""
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
                            if _requires_local(value):
                                imports |= {text(n) for n in descendants(name) if n.type in _BOUND}
                if stmt.type == "import_statement" and _local_source(stmt.child_by_field_name("source")):
                    imports |= {text(n) for n in descendants(stmt) if n.type == "identifier"}
            self._names = constants, imports
        return self._names


_BOUND = ("identifier", "shorthand_property_identifier_pattern")


def _local_source(node: Node | None) -> bool:
    spec = text(node).strip("\"'`")
    return spec.startswith((".", "/", "@/", "~/", "src/"))


def _requires_local(value: Node) -> bool:
    if value.type != "call_expression" or text(value.child_by_field_name("function")) != "require":
        return False
    args = value.child_by_field_name("arguments")
    return args is not None and bool(args.named_children) and _local_source(args.named_children[0])


def facts(rel: str, root: Node) -> FileFacts:
    return FileFacts(rel, root, b"agentforge" in (root.text or b"").lower())


class Functions:
    """Every named function of a file by its own name. A site (with its qualified name, which costs a walk
    up the tree) is built only for the functions worth reading and for the helpers those call (`find`)."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self._by_name: dict[str, list[tuple[Node, str, Node, str]]] = {}
        self._sites: dict[int, Site] = {}

    def add(self, node: Node, name: str, outer: Node, kind: str) -> None:
        self._by_name.setdefault(name, []).append((node, name, outer, kind))

    def site(self, node: Node, name: str, outer: Node, kind: str, *, read: bool) -> Site:
        if node.start_byte not in self._sites:
            scope = ".".join(_scope(node))
            body = node.child_by_field_name("body")
            assert body is not None
            qualname = f"{scope}.{name}" if scope else name
            self._sites[node.start_byte] = Site(self.rel, qualname, node, outer, body, scope, kind, read)
        return self._sites[node.start_byte]

    def find(self, qualname: str) -> Site | None:
        """The function of this file with that qualified name (the last one defined), if any."""
        found = None
        for node, name, outer, kind in self._by_name.get(qualname.rsplit(".", 1)[-1], []):
            site = self.site(node, name, outer, kind, read=False)
            if site.name == qualname:
                found = site
        return found


def sites(rel: str, root: Node) -> tuple[list[Site], Functions]:
    """The file's named functions worth reading, in source order, each with its qualified name, and the table
    of all its functions (for the helpers those call). A file whose comments could mark a function dynamic
    has every function read."""
    source = root.text or b""
    mentions = b"agentforge" in source.lower()
    mock_path = bool(set(words(rel)) & MOCK_WORDS)
    hints = Hints(source)
    table = Functions(rel)
    found: list[Site] = []
    for node in find_all(root, FUNCTIONS):
        named = own_name(node)
        body = node.child_by_field_name("body")
        if named is None or body is None:
            continue
        name, outer, kind = named
        table.add(node, name, outer, kind)
        if mentions or mock_path or worth_reading(node, name, body, hints):
            found.append(table.site(node, name, outer, kind, read=True))
    return found, table


def worth_reading(node: Node, name: str, body: Node, hints: Hints) -> bool:
    """Whether a function could be a stub: a short or expression body, a smart or mock name, hints of a
    fake in its bytes, or a literal answered at its end. Everything else is real code, passed over unread."""
    if body.type != "statement_block":
        if _content(body):
            return True
    elif _short(body) and _short_may_fake(body):
        return True
    start, end = body.start_byte, body.end_byte
    if hints.strong(start, end) or (hints.timid(start, end) and _count(body, TIMID_STATEMENTS) <= TIMID_STATEMENTS):
        return True
    last = _last_statement(body) if body.type == "statement_block" else None
    value = (
        last.named_children[0] if last is not None and last.type == "return_statement" and last.named_children else None
    )
    if value is not None and value.type in ("object", "array", "string", "template_string"):
        return True
    return intended(name) or any(intended(n) for n in _scope(node))


_CONTENT = frozenset({"string", "template_string", "number", "true", "false", "null", "undefined", "object", "array",
                      "identifier", "subscript_expression", "ternary_expression", "binary_expression",
                      "parenthesized_expression", "new_expression", "await_expression", "as_expression"})  # fmt: skip
_LOGS = (b"console.", b"logger.", b"alert(")


def _short_may_fake(body: Node) -> bool:
    """Whether a short block could be a stub with no word saying so, from its last statement alone: only an
    answer written as content (a literal, a constant, a template, a pick, a promise), a refusal, a log line
    or nothing at all. A setter, a call for its effect, a field read or a call to another function is real
    code or, for delegation, named for what it delegates (`worth_reading` reads those by their words)."""
    last = _last_statement(body)
    if last is None:
        return True
    kind = last.type
    if kind == "throw_statement":
        return True
    if kind == "expression_statement" and last.named_child_count:
        expr = last.named_children[0]
        if expr.type == "call_expression":
            fn = expr.child_by_field_name("function")
            return fn is not None and (fn.text or b"").startswith(_LOGS)
        return expr.type in ("string", "template_string", "yield_expression")
    if kind != "return_statement":
        return False
    value = last.named_children[0] if last.named_child_count else None
    return value is None or value.type == "comment" or _content(value)


def _content(value: Node) -> bool:
    kind = value.type
    if kind in _CONTENT:
        return True
    if kind == "member_expression":
        obj = value.child_by_field_name("object")
        return obj is not None and obj.type != "this"  # an enum member or a constant's field, not `this.x`
    if kind == "call_expression":
        fn = value.child_by_field_name("function")
        name = fn.text or b"" if fn is not None else b""
        return b"random" in name or name.endswith((b".join", b".choice")) or name[:1].isupper()
    return False


def _short(body: Node) -> bool:
    return _count(body, STUB_STATEMENTS) <= STUB_STATEMENTS


def _count(body: Node, limit: int) -> int:
    """The statements of a block (comments aside), counted no further than one past `limit`."""
    count = 0
    for child in body.named_children:
        if child.type not in ("comment", "empty_statement"):
            count += 1
            if count > limit:
                break
    return count


def _last_statement(body: Node) -> Node | None:
    for i in range(body.named_child_count - 1, -1, -1):
        child = body.named_child(i)
        if child is not None and child.type not in ("comment", "empty_statement"):
            return child
    return None


def own_name(node: Node) -> tuple[str, Node, str] | None:
    """(name, the declaration to report, kind) of a function node; None for an anonymous callback."""
    parent = node.parent
    if node.type == "method_definition":
        key = node.child_by_field_name("name")
        if key is None or text(key) == "constructor":
            return None
        kind = "method" if parent is not None and parent.type == "class_body" else "member"
        return _key(key), node, kind
    name = node.child_by_field_name("name")
    if node.type in ("function_declaration", "generator_function_declaration"):
        outer = parent if parent is not None and parent.type == "export_statement" else node
        return (text(name) if name is not None else "default"), outer, "function"
    if parent is None:
        return None
    kind = parent.type
    if kind == "variable_declarator" and parent.child_by_field_name("value") == node:
        return _declared(parent)
    if kind == "pair" and parent.child_by_field_name("value") == node:
        key = parent.child_by_field_name("key")
        return (_key(key), parent, "member") if key is not None else None
    if kind in ("public_field_definition", "field_definition") and parent.child_by_field_name("value") == node:
        key = parent.child_by_field_name("name") or parent.child_by_field_name("property")
        return (_key(key), parent, "method") if key is not None else None
    if kind == "assignment_expression" and parent.child_by_field_name("right") == node:
        left = parent.child_by_field_name("left")
        prop = left.child_by_field_name("property") if left is not None and left.type == "member_expression" else left
        outer = parent.parent if parent.parent is not None and parent.parent.type == "expression_statement" else parent
        return (text(prop), outer, "function") if prop is not None and prop.type in _NAMES else None
    if kind == "export_statement":
        return "default", parent, "function"
    if kind == "arguments":
        return _wrapped(node, parent)
    if name is not None and node.type in ("function_expression", "generator_function"):
        return text(name), node, "function"
    return None


_NAMES = ("identifier", "property_identifier", "private_property_identifier")
WRAPPERS = frozenset({"memo", "forwardRef", "create", "createStore", "createWithEqualityFn", "debounce", "throttle",
                      "observer", "defineComponent", "computed", "once", "cache", "action", "createAction",
                      "createAsyncThunk", "createSelector", "withRouter", "styled"})  # fmt: skip
"""Calls whose function argument is the function the binding names (React hooks `use…` too)."""


def _key(key: Node) -> str:
    if key.type == "string":
        return text(key).strip("\"'")
    return text(key)


def _declared(declarator: Node) -> tuple[str, Node, str] | None:
    name = declarator.child_by_field_name("name")
    if name is None or name.type != "identifier":
        return None
    decl = declarator.parent
    outer = declarator
    alone = decl is not None and sum(1 for c in decl.named_children if c.type == "variable_declarator") == 1
    if decl is not None and decl.type in ("lexical_declaration", "variable_declaration") and alone:
        outer = decl
        if decl.parent is not None and decl.parent.type == "export_statement":
            outer = decl.parent
    return text(name), outer, "function"


def _wrapped(node: Node, arguments: Node) -> tuple[str, Node, str] | None:
    """`const f = useCallback(() => …)`: the first function passed to a call bound to a name is that name."""
    call = arguments.parent
    if call is None or call.type != "call_expression":
        return None
    first = next((a for a in arguments.named_children if a.type in FUNCTIONS), None)
    holder = call.parent
    if first != node or holder is None or holder.type != "variable_declarator":
        return None
    callee = text(call.child_by_field_name("function")).rsplit(".", 1)[-1].split("<", 1)[0]
    if not (callee in WRAPPERS or (callee.startswith("use") and callee[3:4].isupper())):
        return None  # `const tags = words.map(w => …)`: a callback, not the binding's own function
    return _declared(holder)


def _scope(node: Node) -> list[str]:
    """The names enclosing `node`, outermost first: named functions, classes and bound object literals."""
    names: list[str] = []
    child, current = node, node.parent
    while current is not None:
        kind = current.type
        if kind in FUNCTIONS:
            named = own_name(current)
            if named is not None:
                names.append(named[0])
        elif kind in ("class_declaration", "abstract_class_declaration", "class"):
            name = current.child_by_field_name("name")
            if name is not None:
                names.append(text(name))
            elif current.parent is not None and current.parent.type == "variable_declarator":
                names.append(text(current.parent.child_by_field_name("name")))
        elif kind == "object" and child.type in ("pair", "method_definition"):
            holder = current.parent
            if holder is not None and holder.type == "variable_declarator":
                names.append(text(holder.child_by_field_name("name")))
            elif holder is not None and holder.type == "pair":
                key = holder.child_by_field_name("key")
                if key is not None:
                    names.append(_key(key))
            elif holder is not None and holder.type == "export_statement":
                names.append("default")
        child, current = current, current.parent
    return names[::-1]

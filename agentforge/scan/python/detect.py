"""Stub detection for Python: does a function only pretend to think?

The body is read by the flow reader (`flow.py`) into language-neutral facts, scored with what the function
is for (`scan/scoring.py`, `scan/intent.py`). A function whose every answer is another function's call is
held as pending: it is a stub exactly when those functions are (delegation, settled once every file is read).
`# agentforge: dynamic` or `@dynamic` marks any function, whatever its body.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from agentforge.artifacts import DetectionReason
from agentforge.scan.evidence import REAL, Facts, Value
from agentforge.scan.extractor import Detection, reason
from agentforge.scan.intent import Intent
from agentforge.scan.judge import HELPER_STATEMENTS, Judge
from agentforge.scan.python.classes import ClassKind
from agentforge.scan.python.flow import Flow
from agentforge.scan.python.index import RepoIndex
from agentforge.scan.python.literals import Static, evaluate
from agentforge.scan.python.modules import absolute
from agentforge.scan.python.sites import Functions, Site
from agentforge.scan.python.syntax import descendants, docstring, docstring_node, last_name, longer_than, nodes_of, text
from agentforge.scan.scoring import combine, shape

MARKER = re.compile(r"#\s*agentforge:\s*dynamic\b", re.IGNORECASE)
TODO = re.compile(r"\b(TODO|FIXME)\b")
PLACEHOLDER = re.compile(
    r"lorem ipsum|coming soon|placeholder|will get back to you|\bTBD\b|not (yet )?implemented", re.IGNORECASE
)
NEVER_STUBS = frozenset({"overload", "abstractmethod", "abstractproperty", "abstractclassmethod"})
"""Decorators whose functions are declarations by design: their empty bodies are the point."""
ROUTE = re.compile(r"\.(?:route|get|post|put|patch|delete|websocket|api_route)\(\s*[rbuf]?[\"']([^\"']*)")
MOCK_PREFIXES = ("mock", "fake", "dummy", "sample", "stub", "canned")
ABSTRACT_BASES = frozenset({"ABC", "ABCMeta", "Protocol", "Interface"})


class Reader:
    """What judging a Python file needs beside its sites: the index and the names its functions rebind."""

    def __init__(self, index: RepoIndex, source: bytes) -> None:
        self.index = index
        found = re.findall(rb"\bglobal\s+([\w, ]+)", source) if b"global" in source else []
        self._rebound = {n.strip() for names in found for n in names.split(b",")}
        """Module names some function rebinds (`global x`): state, not constants."""
        self.constants: dict[str, Value] = {}
        """The values of the module constants the file's functions read, each read once."""

    def rebound(self, name: str) -> bool:
        return name.encode() in self._rebound


def new_judge(functions: Functions, index: RepoIndex, source: bytes) -> Judge[Site]:
    reader = Reader(index, source)

    def short(site: Site) -> bool:
        return site.read or not longer_than(site.body, HELPER_STATEMENTS)

    return Judge(functions.find, lambda s: s.node.start_byte, lambda s, j: _detect(s, j, reader), short)


def _candidates(site: Site, call: Node, name: str) -> list[str]:
    """The qualified names a call may reach in this file: `self.m` a method of the class, a plain name the
    innermost enclosing scope's function first, then the module's."""
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "attribute":
        return [f"{site.scope}.{name}"] if site.owner is not None else []
    parts = site.qualname.split(".")
    return [".".join([*parts[:i], name]) for i in range(len(parts), -1, -1)]


def _flow(site: Site, judge: Judge[Site], reader: Reader) -> Flow:
    index = reader.index

    def constant(name: str) -> Node | None:
        if reader.rebound(name):
            return None
        own = index.files.get(site.rel)
        if own is not None and name in own.constants:
            return own.constants[name]
        if not (name.isupper() or name.lstrip("_").lower().startswith(MOCK_PREFIXES)):
            return None  # another module's lower-case global is state; only its CONSTANTS and mock data are read
        return index.find_constant(name, site.rel)

    def local(call: Node, name: str) -> Value | None:
        return judge.call(call, _candidates(site, call, name))

    def imported(name: str) -> bool:
        found = index.files[site.rel].imports.get(name) if site.rel in index.files else None
        return (
            found is not None and found.name is not None and bool(index.module_files(absolute(found.module, site.rel)))
        )

    def record(name: str) -> bool:
        return index.is_class(name, site.rel)

    flow = Flow(_params(site), constant, local, imported, record)
    flow.constants = reader.constants
    return flow


def _params(site: Site) -> list[str]:
    node = site.node.child_by_field_name("parameters")
    names = []
    for param in node.named_children if node is not None else []:
        if param.type in ("keyword_separator", "positional_separator", "comment"):
            continue
        name = param.child_by_field_name("name") or (param.named_children[0] if param.named_child_count else param)
        names.append(text(name).lstrip("*"))
    bound = site.owner is not None and "staticmethod" not in {last_name(d) for d in site.decorators}
    return names[1:] if bound and names else names


def _detect(site: Site, judge: Judge[Site], reader: Reader) -> tuple[Detection[Static] | None, Facts]:
    marker = _marker(site)
    if marker is None and _declaration(site, reader.index):
        return None, Facts()
    facts = _flow(site, judge, reader).read(site.body, docstring_node(site.body))
    found = shape(facts)
    pending = not found and facts.answers and all(a.calls and not a.mask & REAL for a in facts.answers)
    if not found and not pending:
        return (Detection([marker]) if marker is not None else None), facts
    intent = _intent(site).reasons()
    hints = _hints(site)
    if pending:
        calls = tuple(c for a in facts.answers for c in a.calls)
        return Detection([*([marker] if marker else []), *intent, *hints], pending=calls), facts
    reasons = [*([marker] if marker else []), *combine(found, intent), *hints]
    static = _static(facts, reader.index, site.rel)
    return Detection(reasons, static, facts.static_node if static is not None else None), facts


def delegated(detection: Detection[Static]) -> Detection[Static]:
    """A pending detection once its calls are known to be stubs."""
    delegation = reason("delegates_to_stub", "Its answer is the answer of a stub it calls.", 3.0)
    return Detection([*detection.reasons[:1], delegation, *detection.reasons[1:]], detection.static)


def _declaration(site: Site, index: RepoIndex) -> bool:
    """Functions whose empty or constant bodies are the point: overloads, abstract and protocol methods,
    property setters, dunders."""
    names = {last_name(d) for d in site.decorators}
    if names & NEVER_STUBS or site.owner_kind is ClassKind.PROTOCOL or _type_checking_only(site.outer):
        return True
    if any(d.endswith((".setter", ".deleter")) for d in site.decorators):
        return True
    if site.name.startswith("__") and site.name.endswith("__"):
        return True
    owner = site.owner
    if owner is not None and index.subclassed(owner.name):
        body = [c for c in site.body.named_children if c.type != "comment"]
        refusing = ("pass_statement", "expression_statement", "raise_statement")
        if len(body) <= 2 and all(c.type in refusing for c in body):
            return True
    if owner is not None and (
        {last_name(b) for b in owner.bases} & ABSTRACT_BASES or owner.name.startswith(("Base", "Abstract"))
    ):
        body = [c for c in site.body.named_children if c.type != "comment"]
        return len(body) <= 2 and all(
            c.type in ("pass_statement", "expression_statement", "raise_statement") for c in body
        )
    return False


def _type_checking_only(outer: Node) -> bool:
    """Under `if TYPE_CHECKING:`: a declaration for the type checker, never run."""
    node = outer.parent
    while node is not None and node.type not in ("function_definition", "module"):
        condition = node.child_by_field_name("condition") if node.type == "if_statement" else None
        if condition is not None and b"TYPE_CHECKING" in (condition.text or b""):
            return True
        node = node.parent
    return False


def _marker(site: Site) -> DetectionReason | None:
    if any(last_name(d) == "dynamic" for d in site.decorators):
        return reason("explicit_marker", "A @dynamic decorator marks the function as dynamic.", 10.0)
    if not site.mentions_marker:
        return None
    comments = comments_above(site.outer)
    if b"agentforge" in (site.outer.text or b"").lower():
        comments += nodes_of("comment", site.outer)
    if any(MARKER.search(text(c)) for c in comments):
        return reason("explicit_marker", "An `# agentforge: dynamic` comment marks the function.", 10.0)
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


def _intent(site: Site) -> Intent:
    notes = [text(c) for c in comments_above(site.outer)]
    if b"#" in (site.node.text or b""):
        notes += [text(c) for c in nodes_of("comment", site.node)]
    doc = docstring(site.body) or ""
    owner = site.owner.name if site.owner is not None else site.scope.rsplit(".", 1)[-1]
    route = next((m.group(1) for d in _decorator_texts(site) if (m := ROUTE.search(d))), "")
    return Intent(site.name, owner, site.rel, " ".join([doc, *notes]), _params(site), route)


def _decorator_texts(site: Site) -> list[str]:
    if site.outer.type != "decorated_definition":
        return []
    return [text(c) for c in site.outer.children if c.type == "decorator"]


def _hints(site: Site) -> list[DetectionReason]:
    """Supporting evidence: a TODO note, a placeholder phrase in the hard-coded text."""
    hints = []
    raw = text(site.body)
    notes = [text(c) for c in nodes_of("comment", site.node)] if b"#" in (site.node.text or b"") else []
    notes.append(docstring(site.body) or "")
    tag = next((m.group(1) for n in notes if (m := TODO.search(n))), None)
    if tag is not None:
        hints.append(reason("todo_marker", f"A {tag} note marks the function as unfinished.", 0.7))
    if PLACEHOLDER.search(raw):
        doc = docstring_node(site.body)
        strings = (
            n
            for n in descendants(site.body)
            if n.type == "string" and (doc is None or not doc.start_byte <= n.start_byte < doc.end_byte)
        )
        phrase = next((m.group(0) for s in strings if (m := PLACEHOLDER.search(text(s)))), None)
        if phrase is not None:
            hints.append(
                reason("placeholder_text", f"The hard-coded text holds the placeholder phrase {phrase!r}.", 1.0)
            )
    return hints


def _static(facts: Facts, index: RepoIndex, rel: str) -> Static | None:
    """One representative hard-coded answer: the first literal answer, else the item of the mock collection
    the answer picks (a constant subscript), the collection itself when it is the answer, else its first."""
    node = facts.static_node
    if node is not None and facts.mock_data is None:
        return evaluate(node, index, rel)
    if facts.mock_data is None:
        return None
    collection_node = index.find_constant(facts.mock_data, rel)
    collection = evaluate(collection_node, index, rel) if collection_node is not None else None
    if collection is None:
        return None
    items = collection.value
    if node is not None and node.type == "identifier":
        return collection
    key_node = node.child_by_field_name("subscript") if node is not None and node.type == "subscript" else None
    key = evaluate(key_node) if key_node is not None else None
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
    return Static(items[0]) if isinstance(items, list) and items else collection

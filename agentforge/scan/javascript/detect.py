"""Stub detection for JavaScript and TypeScript: the flow reader's facts, scored with the function's intent.

The same model as Python's (`python/detect.py`): a body that answers from hard-coded content, echoes its
input in canned prose, picks by keyword or at random, waits on a fake timer or streams canned pieces is a
candidate, weighed against what the function is for. `// agentforge: dynamic` (or `// @agentforge`) directly
above marks any function. A function whose every answer is another function's call waits for delegation.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from agentforge.artifacts import DetectionReason
from agentforge.scan.evidence import REAL, Facts, Value
from agentforge.scan.extractor import Detection, reason
from agentforge.scan.intent import Intent
from agentforge.scan.javascript.flow import Flow
from agentforge.scan.javascript.sites import FileFacts, Functions, Site
from agentforge.scan.javascript.syntax import Static, descendants, literal, string_value, text
from agentforge.scan.judge import HELPER_STATEMENTS, Judge
from agentforge.scan.scoring import combine, shape

MARKER = re.compile(r"(//|/\*)\s*(@agentforge\b|agentforge:\s*dynamic\b)", re.IGNORECASE)
TODO = re.compile(r"\b(TODO|FIXME)\b")
PLACEHOLDER = re.compile(r"lorem ipsum|coming soon|placeholder|will get back to you|\bTBD\b", re.IGNORECASE)
LIFECYCLE = frozenset({"render", "componentDidMount", "componentDidUpdate", "componentWillUnmount",
                       "componentDidCatch", "getDerivedStateFromError", "getDerivedStateFromProps",
                       "shouldComponentUpdate", "getSnapshotBeforeUpdate", "ngOnInit", "ngOnDestroy", "toString",
                       "toJSON", "valueOf"})  # fmt: skip
"""Methods whose constant answers a framework asks for by contract."""
HANDLERS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "handler", "loader", "action"})
"""Names a file-routed framework (Next.js, Remix, Vercel functions) serves at the file's own path."""


def new_judge(functions: Functions, file: FileFacts) -> Judge[Site]:
    def short(site: Site) -> bool:
        body = site.body
        return site.read or body.type != "statement_block" or body.named_child_count <= HELPER_STATEMENTS

    return Judge(functions.find, lambda s: s.node.start_byte, lambda s, j: _detect(s, j, file), short)


def _candidates(site: Site, name: str, on_this: bool) -> list[str]:
    """The qualified names a call may reach in this file: `this.m` a member of the enclosing class or
    object, a plain name the innermost enclosing scope's function first, then the file's."""
    if on_this:
        return [f"{site.scope}.{name}"] if site.scope else []
    parts = site.name.split(".")
    return [".".join([*parts[:i], name]) for i in range(len(parts), -1, -1)]


def params(site: Site) -> list[str]:
    node = site.node.child_by_field_name("parameters") or site.node.child_by_field_name("parameter")
    if node is None:
        return []
    if node.type == "identifier":
        return [text(node)]
    out = []
    for param in node.named_children:
        for n in descendants(param):
            if n.type in ("identifier", "shorthand_property_identifier_pattern") and (
                n.parent is None
                or n.parent.type not in ("type_annotation", "pair_pattern")
                or n == n.parent.child_by_field_name("value")
            ):
                out.append(text(n))
    return [p for p in out if p != "this"]


def _flow(site: Site, judge: Judge[Site], file: FileFacts) -> Flow:
    def constant(name: str) -> Node | None:
        return file.constants.get(name)

    def local(call: Node, name: str, on_this: bool) -> Value | None:
        return judge.call(call, _candidates(site, name, on_this))

    def imported(name: str) -> bool:
        return name in file.imports

    flow = Flow(params(site), constant, local, imported)
    flow.constants = file.values
    return flow


def _detect(site: Site, judge: Judge[Site], file: FileFacts) -> tuple[Detection[Static] | None, Facts]:
    marker = _marker(site, file)
    if marker is None and site.name.rsplit(".", 1)[-1] in LIFECYCLE:
        return None, Facts()
    facts = _flow(site, judge, file).read(site.body)
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
    node = facts.static_node
    static = literal(node) if node is not None else None
    if static is None and facts.mock_data is not None:
        static = _mock_example(file, facts.mock_data)
    feeds = facts.feeds if facts.feeds and not _returns_value(site) else None
    return Detection(reasons, static, node if static is not None else None, feeds=feeds), facts


def _returns_value(site: Site) -> bool:
    """Whether the function itself returns something (a callback stub that also returns stays a return stub)."""
    body = site.body
    if body.type != "statement_block":
        return True
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type == "return_statement" and node.named_child_count and node.named_children[0].type != "comment":
            return True
        if node.type not in FUNCTION_NODES:
            stack.extend(node.named_children)
    return False


FUNCTION_NODES = ("arrow_function", "function_expression", "function_declaration", "generator_function",
                  "generator_function_declaration", "method_definition", "class_declaration")  # fmt: skip


def delegated(detection: Detection[Static]) -> Detection[Static]:
    delegation = reason("delegates_to_stub", "Its answer is the answer of a stub it calls.", 3.0)
    return Detection([*detection.reasons[:1], delegation, *detection.reasons[1:]], detection.static)


def _marker(site: Site, file: FileFacts) -> DetectionReason | None:
    if file.mentions_marker and any(MARKER.search(text(c)) for c in comments_above(site.outer)):
        return reason("explicit_marker", "An `// agentforge: dynamic` comment marks the function.", 10.0)
    return None


def comments_above(outer: Node) -> list[Node]:
    found: list[Node] = []
    line = outer.start_point.row
    node = outer.prev_sibling
    while node is not None and node.type == "comment" and node.end_point.row >= line - 1:
        found.insert(0, node)
        line = node.start_point.row
        node = node.prev_sibling
    return found


def _intent(site: Site) -> Intent:
    notes = [text(c) for c in comments_above(site.outer)]
    notes += _comments(site.body)
    owner = site.scope.rsplit(".", 1)[-1]
    last = site.name.rsplit(".", 1)[-1]
    route = ""
    if last in HANDLERS and not site.scope:
        route = "/" + site.rel.rsplit("/", 1)[0]
    return Intent(last, owner, site.rel, " ".join(notes), params(site), route)


def _comments(node: Node) -> list[str]:
    """The comments inside `node`. Every comment spells `//` or `/*`: a body without either (most) is not
    walked node by node."""
    raw = node.text or b""
    if b"//" not in raw and b"/*" not in raw:
        return []
    return [text(c) for c in descendants(node) if c.type == "comment"]


def _hints(site: Site) -> list[DetectionReason]:
    hints = []
    notes = _comments(site.node)
    notes += [text(c) for c in comments_above(site.outer)]
    tag = next((m.group(1) for n in notes if (m := TODO.search(n))), None)
    if tag is not None:
        hints.append(reason("todo_marker", f"A {tag} note marks the function as unfinished.", 0.7))
    if PLACEHOLDER.search(text(site.body)):
        strings = (string_value(n) or "" for n in descendants(site.body) if n.type in ("string", "template_string"))
        phrase = next((m.group(0) for s in strings if (m := PLACEHOLDER.search(s))), None)
        if phrase is not None:
            hints.append(
                reason("placeholder_text", f"The hard-coded text holds the placeholder phrase {phrase!r}.", 1.0)
            )
    return hints


def _mock_example(file: FileFacts, name: str) -> Static | None:
    collection = literal(file.constants.get(name))
    if collection is None:
        return None
    items = collection.value
    if isinstance(items, dict):
        items = list(items.values())
    return Static(items[0]) if isinstance(items, list) and items else collection


def is_async(site: Site) -> bool:
    return any(c.type == "async" for c in site.node.children)

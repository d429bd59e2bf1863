"""The Python flow reader: one walk over a function body, tracking where each answer's value comes from.

Flow-insensitive on purpose: a name's value is everything ever assigned (or appended, or added) to it, so a
variable set in every branch of a keyword `if` chain carries every branch's literal. Nested functions and
classes are sites of their own and are not entered; lambdas and comprehensions are read as expressions.
"""

from __future__ import annotations

from tree_sitter import Node

from agentforge.scan.evidence import (
    DERIVED,
    INPUT,
    LIT,
    LOCAL,
    MOCK,
    NOTHING,
    REAL,
    STATE,
    Facts,
    RealWork,
    Value,
    join,
)
from agentforge.scan.python.syntax import dotted, last_name, string_value, text
from agentforge.scan.python.values import Values, _args
from agentforge.scan.python.vocabulary import (
    COUNTS,
    LOGS,
    NORMALIZERS,
    RANDOM_CALLS,
    REGEX,
    SINKS,
    SLEEPS,
    TEST_METHODS,
    TEXT_METHODS,
    WRITES,
)


class Flow(Values):
    """Reads one body: the statement half of the walk (`Values` reads the expressions)."""

    def read(self, body: Node, doc: Node | None) -> Facts:
        statements = [s for s in body.named_children if s.type != "comment" and s != doc]
        if not statements:
            self.facts.empty = "docstring" if doc is not None else "empty"
            return self.facts
        if len(statements) == 1 and statements[0].type == "return_statement" and not statements[0].named_child_count:
            self.facts.empty = "return"
            return self.facts
        if len(statements) == 1 and (kind := _placeholder(statements[0])) is not None:
            self.facts.empty = kind
            return self.facts
        if len(statements) == 1 and statements[0].type == "raise_statement":
            refusal = _refusal(statements[0])
            if refusal is not None:
                self.facts.not_implemented = refusal
                return self.facts
        if len(statements) > 2 and _returns_real_work(statements):
            self.facts.answers.append(Value(REAL))
            return self.facts
        # Names first (two passes), so a name used before a later assignment in a loop still resolves.
        try:
            for _ in range(2):
                self.facts.answers = []
                self._early = set()
                for stmt in statements:
                    self._stmt(stmt, guarded=False)
                if not self._early & self.env.keys():
                    break  # no name was read before a later statement bound it: one pass saw everything
        except RealWork:
            return self.facts
        if not self.facts.answers and self._logs and not self.facts.computes:
            self.facts.empty = "log"
        return self.facts

    def _block(self, node: Node | None, guarded: bool) -> None:
        if node is None:
            return
        for stmt in node.named_children:
            self._stmt(stmt, guarded)

    def _stmt(self, node: Node, guarded: bool) -> None:
        kind = node.type
        if kind == "expression_statement":
            for child in node.named_children:
                self._expression_statement(child)
        elif kind == "return_statement":
            if node.named_child_count:
                self._answer(self.value(node.named_children[0]), node.named_children[0])
        elif kind == "if_statement":
            self.test(node.child_by_field_name("condition"))
            self._block(node.child_by_field_name("consequence"), True)
            for alt in node.children_by_field_name("alternative"):
                if alt.type == "elif_clause":
                    self.test(alt.child_by_field_name("condition"))
                    self._block(alt.child_by_field_name("consequence"), True)
                else:
                    self._block(alt.child_by_field_name("body"), True)
        elif kind in ("for_statement", "for_in_clause"):
            self._bind(node.child_by_field_name("left"), self.value(node.child_by_field_name("right")))
            self._block(node.child_by_field_name("body"), True)
            self._block(node.child_by_field_name("alternative"), True)
        elif kind == "while_statement":
            self.test(node.child_by_field_name("condition"))
            self._block(node.child_by_field_name("body"), True)
        elif kind in ("try_statement", "with_statement", "match_statement"):
            self._compound(node, guarded)
        elif kind in ("block", "else_clause", "finally_clause", "except_clause", "case_clause"):
            self._block(node.child_by_field_name("body") or node, True if kind != "block" else guarded)
        elif kind == "raise_statement":
            if guarded:
                self.facts.guards += 1
        elif kind == "assert_statement":
            for child in node.named_children:
                self.test(child)

    def _compound(self, node: Node, guarded: bool) -> None:
        for child in node.named_children:
            if child.type == "with_clause":
                for item in child.named_children:
                    value = item.child_by_field_name("value")
                    if value is not None and value.type == "as_pattern":
                        target = value.child_by_field_name("alias")
                        inner = value.named_children[0] if value.named_children else None
                        self._bind(target, self.value(inner) if inner is not None else NOTHING)
                    elif value is not None:
                        self.value(value)
            elif child.type == "block":
                self._block(child, guarded)
            elif child.type in ("except_clause", "else_clause", "finally_clause", "case_clause"):
                for sub in child.named_children:
                    if sub.type == "block":
                        self._block(sub, True)
            elif node.type == "match_statement" and child.type != "block":
                self.test(child)
            elif child.type == "block":
                self._block(child, guarded)

    def _expression_statement(self, node: Node) -> None:
        kind = node.type
        if kind == "assignment":
            right = node.child_by_field_name("right")
            value = self.value(right) if right is not None else NOTHING
            self._bind(node.child_by_field_name("left"), value)
        elif kind == "augmented_assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            value = self.value(right) if right is not None else NOTHING
            if left is not None:
                self._bind(left, self.value(left) | value)
        elif kind == "yield":
            self.facts.stream = True
            inner = node.named_children[0] if node.named_child_count else None
            if inner is not None:  # a bare `yield` hands nothing out (a context manager, a lifespan)
                self._answer(self.value(inner), inner)
        elif kind == "await":
            inner = node.named_children[0] if node.named_child_count else None
            if inner is not None:
                self._expression_statement(inner)
        elif kind == "call":
            self._effect(node)
        elif kind not in ("string", "concatenated_string", "ellipsis", "comment"):
            self.value(node)

    def _effect(self, call: Node) -> None:
        """A call made for its effect: filling a container, a sleep, a log line, a write."""
        fn = call.child_by_field_name("function")
        args = _args(call)
        name = dotted(fn) if fn is not None else None
        method = last_name(name) if name else (text(fn.child_by_field_name("attribute")) if fn else "")
        if name in SLEEPS:
            self.facts.latency = True
            return
        if fn is not None and fn.type == "attribute" and method in SINKS:
            target = _base(fn.child_by_field_name("object"))
            if target is not None:
                self._bind(target, self.value(target) | join([self.value(a) for a in args]))
            return
        if method in WRITES and args:
            self._answer(self.value(args[0]), args[0])
            return
        if method in LOGS:
            self._logs += 1
            if join([self.value(a) for a in args]).mask & (INPUT | STATE | REAL):
                self.facts.computes = True  # it reports on its input: a logging helper, not a log-only stub
            self.facts.logged += (
                " ".join(
                    t for a in args if (t := string_value(a) if a.type in ("string", "concatenated_string") else None)
                )
                + " "
            )
            return
        value = self.value(call)
        if value.mask & (REAL | LOCAL | DERIVED):
            self.facts.computes = True

    def _answer(self, value: Value, node: Node | None) -> None:
        self.facts.answers.append(value)
        if value.mask & REAL:
            raise RealWork  # an answer fed by real work settles it: the rest of the body cannot undo that
        if self.facts.static_node is None and node is not None and value.mask & LIT and not value.mask & ~(LIT | MOCK):
            self.facts.static_node = node

    def _bind(self, target: Node | None, value: Value) -> None:
        if target is None:
            return
        kind = target.type
        if kind == "identifier":
            self.env[text(target)] = self.env.get(text(target), NOTHING) | value
        elif kind in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list"):
            for child in target.named_children:
                self._bind(child, value)
        elif kind == "subscript":
            self._bind(target.child_by_field_name("value"), value)
        elif kind == "attribute":
            obj = target.child_by_field_name("object")
            if obj is not None and obj.type == "identifier" and text(obj) not in ("self", "cls"):
                self._bind(obj, value)
        if value.mask & (DERIVED | REAL | LOCAL):
            self.facts.computes = True


_NOT_WORK = TEXT_METHODS | TEST_METHODS | SINKS | RANDOM_CALLS | LOGS | NORMALIZERS | REGEX | COUNTS


def _returns_real_work(statements: list[Node]) -> bool:
    """Whether some `return` (outside nested definitions) hands back a method call on another object
    (`return self.client.post(...)`, `return await session.execute(...)`): real work, seen without reading
    the rest of the body."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "return_statement":
            value = node.named_children[0] if node.named_child_count else None
            if value is not None and value.type == "await" and value.named_child_count:
                value = value.named_children[0]
            if value is not None and value.type == "call":
                fn = value.child_by_field_name("function")
                if fn is not None and fn.type == "attribute":
                    obj = fn.child_by_field_name("object")
                    method = text(fn.child_by_field_name("attribute"))
                    receiver = (obj.text or b"") if obj is not None else b""
                    if (
                        method not in _NOT_WORK
                        and receiver not in (b"self", b"cls", b"random", b"re", b"json")
                        and (obj is not None and obj.type not in ("string", "concatenated_string"))
                    ):
                        return True
        elif kind not in ("function_definition", "class_definition", "decorated_definition", "expression_statement"):
            stack.extend(c for c in node.named_children if c.type.endswith(("statement", "clause", "block")))
    return False


def _base(node: Node | None) -> Node | None:
    """The variable a chain starts from: `rules` in `rules.setdefault(k, []).extend(...)` or `x[k].append`."""
    while node is not None and node.type in ("attribute", "subscript", "call"):
        if node.type == "call":
            fn = node.child_by_field_name("function")
            node = fn.child_by_field_name("object") if fn is not None and fn.type == "attribute" else None
        else:
            node = node.child_by_field_name("object") or node.child_by_field_name("value")
    return node


def _placeholder(stmt: Node) -> str | None:
    if stmt.type == "pass_statement":
        return "pass"
    if stmt.type == "expression_statement" and [c.type for c in stmt.named_children] == ["ellipsis"]:
        return "..."
    return None


def _refusal(stmt: Node) -> str | None:
    """How a lone `raise` refuses: NotImplementedError, or an error whose message or status says so."""
    exc = stmt.named_children[0] if stmt.named_child_count else None
    if exc is None:
        return None
    callee = exc.child_by_field_name("function") if exc.type == "call" else exc
    name = dotted(callee) if callee is not None else None
    source = text(exc)
    if name is not None and last_name(name) == "NotImplementedError":
        return "it raises NotImplementedError"
    if _says_not_implemented(source) or "status_code=501" in source.replace(" ", ""):
        return f"it raises {last_name(name) if name else 'an error'} saying it is not implemented"
    return None


def _says_not_implemented(source: str) -> bool:
    lowered = source.lower()
    return "not implemented" in lowered or "not yet implemented" in lowered or "todo" in lowered

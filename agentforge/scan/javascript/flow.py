"""The JavaScript/TypeScript flow reader: one walk over a function body, tracking where each answer comes from.

Answers are what the function hands back: `return` values, `yield`s, what a returned `new Promise` resolves
(through `setTimeout` callbacks too), what it passes to a callback parameter (`push(chunk)`, `res.json(x)`).
Flow-insensitive like the Python reader (`python/flow.py`); anonymous callbacks are read as part of the body,
named nested functions are sites of their own.
"""

from __future__ import annotations

from contextlib import suppress

from tree_sitter import Node

from agentforge.scan.evidence import (
    CUT,
    DERIVED,
    INPUT,
    LENGTH,
    LIT,
    LOCAL,
    MOCK,
    NOTHING,
    REAL,
    STATE,
    TEXT,
    Facts,
    RealWork,
    Value,
    join,
)
from agentforge.scan.javascript.sites import own_name
from agentforge.scan.javascript.syntax import string_value, text
from agentforge.scan.javascript.values import (
    Values,
    _args,
)
from agentforge.scan.javascript.vocabulary import (
    FUNCTIONS,
    LOGS,
    RESPONSE,
    WRITES,
)


class Flow(Values):
    """Reads one body: the statement half of the walk (`Values` reads the expressions)."""

    def read(self, body: Node) -> Facts:
        if body.type != "statement_block":
            with suppress(RealWork):
                self._answer(self.value(body), body)
            return self.facts
        statements = [s for s in body.named_children if s.type not in ("comment", "empty_statement")]
        if not statements:
            comments = [c for c in body.named_children if c.type == "comment"]
            self.facts.empty = "todo" if any("TODO" in text(c) or "todo" in text(c) for c in comments) else "empty"
            return self.facts
        if len(statements) == 1 and statements[0].type == "return_statement" and not _returned(statements[0]):
            self.facts.empty = "return"
            return self.facts
        if len(statements) == 1 and statements[0].type == "throw_statement":
            refusal = _refusal(statements[0])
            if refusal is not None:
                self.facts.not_implemented = refusal
                return self.facts
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

    def _stmt(self, node: Node | None, guarded: bool) -> None:
        if node is None:
            return
        kind = node.type
        if kind == "expression_statement":
            for child in node.named_children:
                self._effect(child)
        elif kind in ("lexical_declaration", "variable_declaration"):
            for d in node.named_children:
                if d.type == "variable_declarator":
                    value = d.child_by_field_name("value")
                    if value is not None and value.type in FUNCTIONS and own_name(value) is not None:
                        continue  # a named nested function is a site of its own
                    name = d.child_by_field_name("name")
                    if value is not None and value.type == "array" and name is not None:
                        self._arrays[text(name)] = value
                    self._bind(d.child_by_field_name("name"), self.value(value) if value is not None else NOTHING)
        elif kind == "return_statement":
            inner = _returned(node)
            if inner is not None:
                returned = self.value(inner)
                if self._returns:
                    self._returns[-1].append(returned)
                else:
                    self._answer(returned, inner)
        elif kind == "statement_block":
            for child in node.named_children:
                self._stmt(child, guarded)
        elif kind == "if_statement":
            self.test(node.child_by_field_name("condition"))
            self._stmt(node.child_by_field_name("consequence"), True)
            alt = node.child_by_field_name("alternative")
            if alt is not None:
                for child in alt.named_children:
                    self._stmt(child, True)
        elif kind == "switch_statement":
            subject = self.value(node.child_by_field_name("value"))
            body = node.child_by_field_name("body")
            for case in body.named_children if body is not None else []:
                case_value = case.child_by_field_name("value")
                if case_value is not None and case_value.type == "string":
                    self._choice(subject)
                for child in case.named_children:
                    if child != case_value:
                        self._stmt(child, True)
        elif kind in ("for_statement", "while_statement", "do_statement"):
            for field in ("initializer", "condition", "increment"):
                part = node.child_by_field_name(field)
                if part is not None:
                    self.test(part) if field == "condition" else self._effect(part)
            self._stmt(node.child_by_field_name("body"), True)
        elif kind == "for_in_statement":
            self._bind(node.child_by_field_name("left"), self.value(node.child_by_field_name("right")))
            self._stmt(node.child_by_field_name("body"), True)
        elif kind == "try_statement":
            self._stmt(node.child_by_field_name("body"), guarded)
            for field in ("handler", "finalizer"):
                part = node.child_by_field_name(field)
                if part is not None:
                    self._stmt(part.child_by_field_name("body"), True)
        elif kind == "throw_statement":
            if guarded:
                self.facts.guards += 1
        elif kind == "labeled_statement":
            self._stmt(node.child_by_field_name("body"), guarded)

    def _effect(self, node: Node) -> None:
        kind = node.type
        if kind in ("assignment_expression", "augmented_assignment_expression"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            value = self.value(right)
            if kind == "augmented_assignment_expression" and left is not None:
                value = self.value(left) | value
            self._bind(left, value)
        elif kind == "await_expression":
            inner = node.named_children[0] if node.named_children else None
            if inner is not None:
                self._effect(inner)
        elif kind == "call_expression":
            self._call_effect(node)
        elif kind == "sequence_expression":
            for child in node.named_children:
                self._effect(child)
        elif kind == "yield_expression":
            self.value(node)
        elif kind not in ("string", "comment", "template_string"):
            value = self.value(node)
            if value.mask & (REAL | LOCAL | DERIVED):
                self.facts.computes = True

    def _call_effect(self, call: Node) -> None:
        fn = call.child_by_field_name("function")
        name = text(fn) if fn is not None else ""
        args = _args(call)
        if name.startswith(LOGS):
            self._logs += 1
            if join([self.value(a) for a in args]).mask & (INPUT | STATE | REAL):
                self.facts.computes = True  # it reports on its input: a logging helper, not a log-only stub
            self.facts.logged += (
                " ".join(t for a in args if (t := string_value(a) if a.type in ("string", "template_string") else None))
                + " "
            )
            return
        if fn is not None and fn.type == "member_expression":
            prop = text(fn.child_by_field_name("property"))
            target = _base(fn.child_by_field_name("object"))
            if prop in ("push", "unshift", "add", "set", "append", "splice", "concat", "assign") and target is not None:
                self._bind(target, self.value(target) | join([self.value(a) for a in args]))
                return
            if prop in WRITES and len(args) >= 2:
                self._answer(self.value(args[1]), args[1])  # what it writes is what it makes
                return
            if prop in RESPONSE and target is not None and text(target) in self.params:
                for arg in args:
                    self._answer(self.value(arg), arg)
                return
        value = self.value(call)
        if value.mask & (REAL | LOCAL | DERIVED):
            self.facts.computes = True

    def _answer(self, value: Value, node: Node | None) -> None:
        if not value:
            return  # `return new Promise(...)`: its answers are what it resolves
        self.facts.answers.append(value)
        if value.mask & REAL:
            raise RealWork  # an answer fed by real work settles it: the rest of the body cannot undo that
        if self.facts.static_node is None and node is not None and value.mask & LIT and not value.mask & ~(LIT | MOCK):
            self.facts.static_node = node

    def _bind(self, target: Node | None, value: Value) -> None:
        if target is None:
            return
        kind = target.type
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            self.env[text(target)] = self.env.get(text(target), NOTHING) | value
        elif kind in ("object_pattern", "array_pattern", "pair_pattern", "assignment_pattern", "rest_pattern"):
            for child in target.named_children:
                if child.type != "property_identifier":
                    self._bind(child, value)
        elif kind in ("member_expression", "subscript_expression"):
            base = _base(target)
            if base is not None and base.type == "identifier":
                self._bind(base, value)
        if value.mask & (DERIVED | REAL | LOCAL):
            self.facts.computes = True

    def _choice(self, tested: Value) -> None:
        if tested.mask & INPUT:
            self.facts.choices += 1
        elif tested.mask & STATE:
            self.facts.state_rules += 1

    def _callback(self, fn: Node) -> Value:
        """An anonymous function used as a value: what it returns (a `.map` callback's item)."""
        body = fn.child_by_field_name("body")
        self._bind_params(fn, self._items[-1] if self._items else Value(STATE))
        if body is None:
            return NOTHING
        if body.type != "statement_block":
            return self.value(body)
        self._returns.append([])
        try:
            self._stmt(body, True)
        finally:
            returned = self._returns.pop()
        return join(returned)

    def _bind_params(self, fn: Node, value: Value) -> None:
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        if params is None:
            return
        if params.type == "identifier":
            self._bind(params, value)
            return
        for p in params.named_children:
            pattern = p.child_by_field_name("pattern") or p
            self._bind(pattern, value)

    def _promise(self, executor: Node) -> Value:
        """`new Promise((resolve) => …)`: what it resolves is the answer (the caller awaits it)."""
        params = executor.child_by_field_name("parameters") or executor.child_by_field_name("parameter")
        names = [
            text(p)
            for p in (params.named_children if params is not None and params.type != "identifier" else [params])
            if p is not None
        ]
        self.sinks |= set(names[:1])
        body = executor.child_by_field_name("body")
        self._returns.append([])
        try:
            if body is not None and body.type == "statement_block":
                self._stmt(body, True)
            elif body is not None:
                self._effect(body)
        finally:
            self._returns.pop()
        return NOTHING

    def _timed(self, args: list[Node], *, interval: bool) -> Value:
        self.facts.latency = True
        if interval:
            self.facts.stream = True
        callback = args[0] if args else None
        self._timer += 1
        self._returns.append([])
        try:
            if callback is not None and callback.type in FUNCTIONS:
                body = callback.child_by_field_name("body")
                if body is not None and body.type == "statement_block":
                    self._stmt(body, True)
                elif body is not None:
                    self._effect(body)
        finally:
            self._timer -= 1
            self._returns.pop()
        for arg in args[1:]:
            self.value(arg)
        return Value(STATE)

    def test(self, node: Node | None) -> None:
        if node is None:
            return
        kind = node.type
        if kind in ("parenthesized_expression", "unary_expression"):
            for child in node.named_children:
                self.test(child)
            return
        if kind == "binary_expression":
            op = text(node.child_by_field_name("operator"))
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op in ("&&", "||", "??"):
                self.test(left)
                self.test(right)
                return
            values = [self.value(left), self.value(right)]
            sides = [left, right]
            if op in ("<", ">", "<=", ">=", "===", "==", "!==", "!="):
                numbers = any(s is not None and s.type == "number" for s in sides)
                data = any(v.mask & (INPUT | DERIVED | STATE) and not v.mask & LENGTH for v in values)
                if numbers and data:
                    self.facts.data_rules += 1
                elif any(s is not None and s.type == "string" for s in sides):
                    self._choice(join(values))
            return
        if kind == "call_expression":
            fn = node.child_by_field_name("function")
            prop = text(fn.child_by_field_name("property")) if fn is not None and fn.type == "member_expression" else ""
            receiver = self.value(fn.child_by_field_name("object")) if prop and fn is not None else NOTHING
            args = _args(node)
            if prop in ("includes", "startsWith", "endsWith", "match", "search", "indexOf"):
                literal = next((a for a in args if a.type in ("string", "regex")), None)
                if literal is not None and (receiver.mask & TEXT or _spaced(literal)):
                    self.facts.text_tests += 1
            elif prop == "test" and _regex_receiver(fn) and any(self.value(a).mask & (INPUT | STATE) for a in args):
                self.facts.text_tests += 1
            if self.value(node).mask & REAL:
                self.facts.data_rules += 1  # a decision on what real work found: logic, not a guess
            return
        tested = self.value(node).mask
        if tested & REAL:
            self.facts.data_rules += 1
        elif tested & (INPUT | DERIVED | TEXT | CUT):
            self.facts.choices += 1


def _returned(stmt: Node) -> Node | None:
    inner = stmt.named_children[0] if stmt.named_child_count else None
    return inner if inner is not None and inner.type != "comment" else None


def _base(node: Node | None) -> Node | None:
    while node is not None and node.type in ("member_expression", "subscript_expression", "call_expression"):
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            node = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
        else:
            node = node.child_by_field_name("object")
    return node


def _refusal(stmt: Node) -> str | None:
    source = text(stmt).lower()
    if "not implemented" in source or "not yet implemented" in source or "todo" in source or "stub" in source:
        return "it throws an error saying it is not implemented"
    return None


def _regex_receiver(fn: Node | None) -> bool:
    obj = fn.child_by_field_name("object") if fn is not None else None
    return obj is not None and obj.type == "regex"


def _spaced(node: Node) -> bool:
    return node.type == "regex" or " " in (string_value(node) or "")

"""What one expression's value is made of, for the flow reader (`flow.py`): the expression half of the walk.

Values join bit masks of their sources (`scan/evidence.py`); calls are classified by the vocabulary
(`vocabulary.py`), by the same file's functions (through the judge) and by the repository's imports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from tree_sitter import Node

from agentforge.scan.evidence import (
    CUT,
    DERIVED,
    INPUT,
    LENGTH,
    LIT,
    LITERAL,
    LOCAL,
    MOCK,
    NOTHING,
    RANDOM,
    REAL,
    STATE,
    TEXT,
    TIME,
    Facts,
    Value,
    derived,
    interpolated,
    join,
    operand,
    text_value,
)
from agentforge.scan.python.syntax import dotted, last_name, string_value, text
from agentforge.scan.python.vocabulary import (
    ARITHMETIC,
    BUILTINS,
    CARRIERS,
    CLOCK,
    COUNTS,
    INPUT_NAMES,
    LOGS,
    MAX_DEPTH,
    NORMALIZERS,
    RANDOM_CALLS,
    REGEX,
    SINKS,
    SLEEPS,
    TEST_METHODS,
    TEXT_METHODS,
    WRAPPERS,
)


class Values(ABC):
    """Reads one body. `constant` resolves module constants to their value node; `local` classifies a call
    to a function of the same file (None: not one), `imported` says whether a name comes from the repo, and
    `record` whether a name is a class of the repo (answered from stored names: no other file is parsed)."""

    def __init__(
        self,
        params: Iterable[str],
        constant: Callable[[str], Node | None],
        local: Callable[[Node, str], Value | None],
        imported: Callable[[str], bool],
        record: Callable[[str], bool],
    ) -> None:
        self.params = set(params)
        self.constant = constant
        self.local = local
        self.imported = imported
        self.record = record
        """Whether a name is a class of the repository: building one carries its arguments (a model, a DTO)."""
        self.env: dict[str, Value] = {}
        self.constants: dict[str, Value] = {}
        """Module constants already read, shared by every flow of the file (`Flow.share`)."""
        self.facts = Facts(has_inputs=bool(self.params))
        self._logs = 0
        self._early: set[str] = set()
        """Names read before anything bound them: a loop may bind them later, so the body is read again."""
        self._depth = 0

    @abstractmethod
    def _answer(self, value: Value, node: Node | None) -> None:
        """Record one value the function hands back."""

    @abstractmethod
    def _bind(self, target: Node | None, value: Value) -> None:
        """Bind a name (or pattern) to a value."""

    def value(self, node: Node | None) -> Value:
        if node is None:
            return NOTHING
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise RecursionError("nested too deeply")  # judged like Python's own limit: the function is skipped
            return self._value(node)
        finally:
            self._depth -= 1

    def _value(self, node: Node) -> Value:
        kind = node.type
        if kind == "identifier":
            return self._name(text(node))
        if kind in ("string", "concatenated_string"):
            return self._string(node)
        if kind in ("integer", "float", "true", "false", "none", "ellipsis"):
            return LITERAL
        if kind in ("list", "tuple", "set", "expression_list"):
            return join([self.value(c) for c in node.named_children if c.type != "comment"]) or LITERAL
        if kind == "dictionary":
            parts = [self.value(p.child_by_field_name("value")) if p.type == "pair" else self.value(p)
                     for p in node.named_children if p.type != "comment"]  # fmt: skip
            return join(parts) or LITERAL
        if kind in ("parenthesized_expression", "keyword_argument", "list_splat", "dictionary_splat", "await"):
            inner = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
            return self.value(inner)
        if kind == "attribute":
            return self._attribute(node)
        if kind == "subscript":
            return self._subscript(node)
        if kind == "call":
            return self._call(node)
        if kind == "conditional_expression":
            branches = node.named_children
            if len(branches) == 3:
                self.test(branches[1])
                return self.value(branches[0]) | self.value(branches[2])
            return join([self.value(b) for b in branches])
        if kind == "binary_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            joined = self.value(left) | self.value(right)
            op = text(node.child_by_field_name("operator"))
            stringy = any(c is not None and c.type in ("string", "concatenated_string") for c in (left, right))
            texty = bool(joined.words or joined.mask & (CUT | TEXT))
            return joined if op in ("+", "%") and (stringy or texty) else derived(joined)
        if kind == "boolean_operator":
            return join([self.value(c) for c in node.named_children])
        if kind in ("comparison_operator", "not_operator"):
            self.test(node)
            return derived(join([self.value(c) for c in node.named_children]))
        if kind == "unary_operator":
            return derived(join([self.value(c) for c in node.named_children]))
        if kind in ("list_comprehension", "set_comprehension", "generator_expression", "dictionary_comprehension"):
            for clause in node.named_children:
                if clause.type == "for_in_clause":
                    self._bind(clause.child_by_field_name("left"), self.value(clause.child_by_field_name("right")))
                elif clause.type == "if_clause":
                    for c in clause.named_children:
                        self.test(c)
            body = node.child_by_field_name("body")
            return self.value(body)
        if kind == "pair":
            return self.value(node.child_by_field_name("value"))
        if kind == "lambda":
            return self.value(node.child_by_field_name("body"))
        if kind == "named_expression":
            value = self.value(node.child_by_field_name("value"))
            self._bind(node.child_by_field_name("name"), value)
            return value
        if kind == "yield":
            self.facts.stream = True
            inner = node.named_children[0] if node.named_child_count else None
            if inner is not None:
                self._answer(self.value(inner), inner)
            return Value(STATE)
        return Value(STATE)

    def _name(self, name: str) -> Value:
        if name in self.params:
            return Value(INPUT)
        if name in self.env:
            return self.env[name]
        self._early.add(name)
        if name in INPUT_NAMES:
            return Value(INPUT)
        node = self.constant(name)
        if node is not None:
            mock = _is_mock(name)
            if mock and self.facts.mock_data is None:
                self.facts.mock_data = name
            held = self.constants.get(name)
            if held is None:
                self.constants[name] = Value(STATE)  # a constant defined through itself reads as state
                inner = type(self)((), self.constant, self.local, self.imported, self.record)
                inner.constants = self.constants
                inner._depth = self._depth + 5
                held = self.constants[name] = inner.value(node)
            return Value((held.mask & ~STATE) | LIT | (MOCK if mock else 0), held.words)
        return Value(STATE)

    def _string(self, node: Node) -> Value:
        plain = string_value(node)
        if plain is not None:
            return text_value(plain)
        parts = []
        for child in _walk_strings(node):
            if child.type == "string_content":
                parts.append(text_value(text(child)))
            elif child.type == "interpolation":
                expr = child.child_by_field_name("expression") or (
                    child.named_children[0] if child.named_children else None
                )
                parts.append(self.value(expr))
        return interpolated(parts)

    def _attribute(self, node: Node) -> Value:
        obj = node.child_by_field_name("object")
        if obj is None:
            return Value(STATE)
        if obj.type == "identifier" and text(obj)[:1].isupper() and self.record(text(obj)):
            return Value(LIT, 1)  # a member of a class of the repo (an enum's label, a constant): content
        if obj.type == "identifier" and text(obj) in ("self", "cls"):
            return Value(STATE)
        name = dotted(node)
        if name is not None and name.startswith(("os.environ", "settings.", "config.")):
            return Value(TIME)
        return self.value(obj)

    def _subscript(self, node: Node) -> Value:
        value = self.value(node.child_by_field_name("value"))
        index = node.child_by_field_name("subscript")
        if index is None:
            return value
        if index.type == "slice":
            return value.adding(CUT) if value.mask & INPUT and _head(index) else value
        key = self.value(index)
        if key.mask & RANDOM and value.mask & LIT:
            self.facts.random_pick = True
            return value.adding(RANDOM)
        return value | Value(key.mask & (INPUT | DERIVED | STATE | REAL))

    def _call(self, node: Node) -> Value:
        fn = node.child_by_field_name("function")
        args = _args(node)
        if fn is None:
            return Value(REAL)
        name = dotted(fn)
        method = (
            last_name(name) if name else (text(fn.child_by_field_name("attribute")) if fn.type == "attribute" else "")
        )
        if name is not None and name[:1].isupper() and "." not in name and self.record(name):
            return join([self.value(a) for a in args]) or LITERAL  # a model of the repo built from its arguments
        values = [self.value(a) for a in args]
        joined = join(values)
        if name in SLEEPS:
            self.facts.latency = True
            return NOTHING
        if name in CLOCK or (name and name.endswith((".now", ".utcnow", ".today"))):
            return Value(TIME)
        if method in RANDOM_CALLS and name is not None and (name.startswith("random.") or name == method):
            if joined.mask & LIT and not joined.mask & (INPUT | REAL):
                self.facts.random_pick = True
            return joined.adding(RANDOM)
        if name is not None and name.startswith("re.") and method in REGEX:
            return joined if method != "search" and method != "match" else derived(joined)
        if name in COUNTS or (method == "count" and fn.type == "attribute"):
            base = joined | (self.value(fn.child_by_field_name("object")) if fn.type == "attribute" else NOTHING)
            return Value(LENGTH if base.mask & (INPUT | STATE) else LIT)
        if name in WRAPPERS or name in CARRIERS:
            return joined
        if name in BUILTINS:
            plain = join([operand(v) for v in values])
            return derived(plain) if name in ARITHMETIC else plain
        if fn.type == "attribute":
            obj = fn.child_by_field_name("object")
            if method in TEXT_METHODS or method in TEST_METHODS or method in SINKS:
                return self._method(method, self.value(obj), values)
            if obj is not None and obj.type == "identifier" and text(obj) in ("self", "cls"):
                found = self.local(node, method)
                if found is not None:
                    return found | joined if not found.calls else found
                return Value(STATE) | joined
            if method in LOGS and name is not None and name.split(".")[0] in ("logger", "logging", "log", "console"):
                return NOTHING
        if name is not None and "." not in name:
            found = self.local(node, name)
            if found is not None:
                return found | joined if not found.calls else found
            if self.imported(name):
                return Value(LOCAL, 0, (node,))
        return Value(REAL) | joined

    def _method(self, method: str, receiver: Value, args: list[Value]) -> Value:
        """A text or container method: the receiver reshaped; arguments are keys and separators, except what
        `join`, `format` and `replace` put into the result and the default of `get`."""
        if method in ("join", "format", "format_map"):
            return receiver | join(args)
        if method == "replace" and len(args) >= 2:
            return receiver | operand(args[0]) | args[1]
        if method == "get" and len(args) >= 2:
            return receiver | operand(args[0]) | args[1]
        if method in NORMALIZERS and receiver.mask & (INPUT | STATE):
            receiver = receiver.adding(TEXT)
        return receiver | join([operand(a) for a in args])

    def test(self, node: Node | None) -> None:
        """Count what a condition tests: keywords in the input's text, or numbers in its data."""
        if node is None:
            return
        kind = node.type
        if kind in ("boolean_operator", "not_operator", "parenthesized_expression"):
            for child in node.named_children:
                self.test(child)
            return
        if kind == "comparison_operator":
            ops = [text(c) for c in node.children if not c.is_named]
            parts = node.named_children
            values = [self.value(p) for p in parts]
            inputish = any(v.mask & (INPUT | STATE) for v in values)
            if any(v.mask & REAL for v in values):
                self.facts.data_rules += 1  # a decision on what real work found: logic, not a guess
                return
            if any(op in ("in", "not in") for op in ops) and inputish:
                literal = next((p for p in parts if p.type in ("string", "concatenated_string")), None)
                spaced = literal is not None and " " in (string_value(literal) or "")
                if literal is not None and (spaced or any(v.mask & TEXT for v in values)):
                    self.facts.text_tests += 1
            elif any(op in ("<", ">", "<=", ">=", "==", "!=") for op in ops):
                numbers = any(p.type in ("integer", "float") for p in parts)
                data = any(v.mask & (INPUT | DERIVED | STATE) and not v.mask & LENGTH for v in values)
                if numbers and data:
                    self.facts.data_rules += 1
                elif any(p.type == "string" for p in parts):
                    tested = join(values)
                    if tested.mask & INPUT:
                        self.facts.choices += 1
                    elif tested.mask & STATE:
                        self.facts.state_rules += 1
            return
        if kind == "call":
            fn = node.child_by_field_name("function")
            name = dotted(fn) if fn is not None else None
            method = last_name(name) if name else ""
            value = self.value(node)
            if (
                ((name or "").startswith("re.") and method in REGEX and value.mask & (INPUT | STATE | DERIVED))
                or (method in TEST_METHODS and value.mask & TEXT)
                or (name in ("any", "all") and " in " in text(node) and value.mask & TEXT)
            ):
                self.facts.text_tests += 1
            elif value.mask & REAL:
                self.facts.data_rules += 1  # a decision on what real work found: logic, not a guess
            return
        mask = self.value(node).mask
        if mask & REAL:
            self.facts.data_rules += 1
        elif mask & (INPUT | DERIVED | TEXT | CUT):
            self.facts.choices += 1  # a test of the input's truthiness or a flag of it: a rule, not a guess


def _head(index: Node) -> bool:
    """`[:n]` or `[0:n]`: the input's beginning, what a fake summary keeps (`[5:]` drops a prefix: parsing)."""
    parts = [c for c in index.children if c.type != "comment"]
    colon = next((i for i, c in enumerate(parts) if c.type == ":"), None)
    if colon is None or colon + 1 >= len(parts) or parts[colon + 1].type in (":", "unary_operator"):
        return False  # no stop, or a negative one (`[:-1]` drops the end: parsing)
    return colon == 0 or (parts[0].text or b"") == b"0"


def _literal(value: Any) -> Value:
    """A constant read statically (an enum member, a model built from literals), with its prose."""
    if isinstance(value, str):
        return text_value(value)
    if isinstance(value, dict):
        return join([_literal(v) for v in value.values()]) or LITERAL
    if isinstance(value, list):
        return join([_literal(v) for v in value]) or LITERAL
    return LITERAL


def _args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    if args.type == "generator_expression":
        return [args]
    return [a for a in args.named_children if a.type != "comment"]


def _walk_strings(node: Node) -> Iterable[Node]:
    for child in node.named_children:
        if child.type == "string":
            yield from _walk_strings(child)
        else:
            yield child


def _is_mock(name: str) -> bool:
    lowered = name.lower().lstrip("_")
    return lowered.startswith(("mock", "fake", "dummy", "sample", "stub", "canned"))

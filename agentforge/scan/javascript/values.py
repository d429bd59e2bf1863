"""What one expression's value is made of, for the flow reader (`flow.py`): the expression half of the walk.

Values join bit masks of their sources (`scan/evidence.py`); calls are classified by the vocabulary
(`vocabulary.py`), by the same file's functions (through the judge) and by the repository's imports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

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
from agentforge.scan.javascript.syntax import string_value, text
from agentforge.scan.javascript.vocabulary import (
    BUILT,
    CARRIERS,
    CLOCK,
    COUNTS,
    CUTTERS,
    FUNCTIONS,
    ITERATORS,
    LOGS,
    MAX_DEPTH,
    NORMALIZERS,
    PATHS,
    READERS,
    SLEEPS,
    TEST_METHODS,
    TEXT_METHODS,
)


class Values(ABC):
    """Reads one body. `constant` resolves module constants to their value node, `local` classifies a call
    to a function of the same file (None: not one), `imported` says whether a name comes from the repo."""

    def __init__(
        self,
        params: Iterable[str],
        constant: Callable[[str], Node | None],
        local: Callable[[Node, str, bool], Value | None],
        imported: Callable[[str], bool],
    ) -> None:
        self.params = set(params)
        self.constant = constant
        self.local = local
        self.imported = imported
        self.env: dict[str, Value] = {}
        self.constants: dict[str, Value] = {}
        """Module constants already read, shared by every flow of the file (`Flow.share`)."""
        self.sinks: set[str] = set()
        """Names that take answers: a Promise's `resolve`."""
        self.facts = Facts(has_inputs=bool(self.params))
        self._logs = 0
        self._early: set[str] = set()
        """Names read before anything bound them: a loop may bind them later, so the body is read again."""
        self._depth = 0
        self._timer = 0
        self._arrays: dict[str, Node] = {}
        """Local arrays declared as literals: what a random pick picks from."""
        self._items: list[Value] = []
        """What the innermost callback's parameters receive: an array method's items, else unknown state."""
        self._returns: list[list[Value]] = []
        """What nested callbacks return, innermost last: their values, never the function's answers."""

    @abstractmethod
    def _answer(self, value: Value, node: Node | None) -> None:
        """Record one value the function hands back."""

    @abstractmethod
    def _bind(self, target: Node | None, value: Value) -> None:
        """Bind a name (or pattern) to a value."""

    @abstractmethod
    def test(self, node: Node | None) -> None:
        """Count what a condition tests."""

    @abstractmethod
    def _callback(self, fn: Node) -> Value:
        """An anonymous function used as a value."""

    @abstractmethod
    def _promise(self, executor: Node) -> Value:
        """A `new Promise(executor)`."""

    @abstractmethod
    def _timed(self, args: list[Node], *, interval: bool) -> Value:
        """A `setTimeout` / `setInterval` call."""

    @abstractmethod
    def _stmt(self, node: Node | None, guarded: bool) -> None:
        """Read one statement (callbacks' bodies are read as statements of the function)."""

    @abstractmethod
    def _effect(self, node: Node) -> None:
        """Read an expression used for its effect."""

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
        if kind in ("identifier", "shorthand_property_identifier"):
            return self._name(text(node))
        if kind == "string":
            return text_value(string_value(node) or "")
        if kind == "template_string":
            parts = [
                text_value(text(c)) if c.type == "string_fragment" else self.value(_inner(c))
                for c in node.named_children
            ]
            return interpolated(parts)
        if kind in ("number", "true", "false", "null", "undefined", "regex"):
            return LITERAL
        if kind == "array":
            return join([self.value(c) for c in node.named_children if c.type != "comment"]) or LITERAL
        if kind == "object":
            return self._object(node)
        if kind in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
                    "type_assertion", "spread_element", "await_expression"):  # fmt: skip
            return self.value(node.named_children[0] if node.named_children else None)
        if kind == "member_expression":
            return self._member(node)
        if kind == "subscript_expression":
            obj = self.value(node.child_by_field_name("object"))
            key = self.value(node.child_by_field_name("index"))
            if key.mask & RANDOM and obj.mask & LIT:
                self.facts.random_pick = True
                self._picked(node.child_by_field_name("object"))
                return obj.adding(RANDOM)
            return obj | Value(key.mask & (INPUT | DERIVED | STATE | REAL))
        if kind == "call_expression":
            return self._call(node)
        if kind == "new_expression":
            return self._new(node)
        if kind == "ternary_expression":
            self.test(node.child_by_field_name("condition"))
            return self.value(node.child_by_field_name("consequence")) | self.value(
                node.child_by_field_name("alternative")
            )
        if kind == "binary_expression":
            return self._binary(node)
        if kind in ("unary_expression", "update_expression"):
            return derived(join([self.value(c) for c in node.named_children]))
        if kind in ("assignment_expression", "augmented_assignment_expression"):
            self._effect(node)
            return self.value(node.child_by_field_name("right"))
        if kind == "sequence_expression":
            values = [self.value(c) for c in node.named_children]
            return values[-1] if values else NOTHING
        if kind in FUNCTIONS:
            return self._callback(node)
        if kind == "yield_expression":
            self.facts.stream = True
            inner = node.named_children[0] if node.named_children else None
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
        node = self.constant(name)
        if node is not None and node.type not in FUNCTIONS:
            mock = _is_mock(name)
            if mock and self.facts.mock_data is None:
                self.facts.mock_data = name
            held = self.constants.get(name)
            if held is None:
                self.constants[name] = Value(STATE)  # a constant defined through itself reads as state
                inner = type(self)((), self.constant, self.local, self.imported)
                inner.constants = self.constants
                inner._depth = self._depth + 5
                held = self.constants[name] = inner.value(node)
            if held.mask & (REAL | STATE | LOCAL) and not mock:
                return Value(STATE)
            return Value((held.mask & ~STATE) | LIT | (MOCK if mock else 0), held.words)
        return Value(STATE)

    def _object(self, node: Node) -> Value:
        parts = []
        for child in node.named_children:
            if child.type == "pair":
                parts.append(self.value(child.child_by_field_name("value")))
            elif child.type in ("shorthand_property_identifier", "spread_element"):
                parts.append(self.value(child))
        return join(parts) or LITERAL

    def _member(self, node: Node) -> Value:
        obj = node.child_by_field_name("object")
        prop = text(node.child_by_field_name("property"))
        source = text(node)
        if source.startswith(("process.env", "import.meta")):
            return Value(TIME)
        if obj is not None and obj.type == "this":
            return Value(STATE)
        value = self.value(obj)
        if prop in COUNTS:
            return Value(LENGTH if value.mask & (INPUT | STATE) else LIT)
        return value

    def _binary(self, node: Node) -> Value:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = text(node.child_by_field_name("operator"))
        joined = self.value(left) | self.value(right)
        if op in ("||", "??", "&&"):
            if op == "&&":
                self.test(left)
            return joined
        if op in ("===", "!==", "==", "!=", "<", ">", "<=", ">=", "in", "instanceof"):
            self.test(node)
            return derived(joined)
        stringy = any(c is not None and c.type in ("string", "template_string") for c in (left, right))
        texty = bool(joined.words or joined.mask & (CUT | TEXT))
        return joined if op == "+" and (stringy or texty) else derived(joined)

    def _picked(self, collection: Node | None) -> None:
        """The first item of what a random pick picks from: the stub's representative static answer."""
        if collection is not None and collection.type == "identifier":
            collection = self._arrays.get(text(collection)) or self.constant(text(collection))
        items = (
            [c for c in collection.named_children if c.type != "comment"]
            if collection is not None and collection.type == "array"
            else []
        )
        if items and self.facts.static_node is None:
            self.facts.static_node = items[0]

    def _call(self, node: Node) -> Value:
        fn = node.child_by_field_name("function")
        args = _args(node)
        if fn is None:
            return Value(REAL)
        name = text(fn)
        if name in self.sinks or (name in self.params and args):
            if name in self.params and self.facts.feeds is None:
                self.facts.feeds = name
            for arg in args:
                self._answer(self.value(arg), arg)
            if self._timer > 1 or (self._timer and name in self.params):
                self.facts.stream = True
            return NOTHING
        inner = _unwrap_function(fn)
        if inner is not None:  # `(async () => { … })()`: its body runs as part of this one
            self._returns.append([])
            try:
                self._stmt(inner.child_by_field_name("body"), True)
            finally:
                returned = self._returns.pop()
            return join(returned)
        if name.startswith(PATHS):
            return Value(TIME) | join([operand(self.value(a)) for a in args])
        if fn.type == "member_expression" and text(fn.child_by_field_name("property")) in ITERATORS:
            receiver = self.value(fn.child_by_field_name("object"))
            self._items.append(receiver)
            try:
                values = [self.value(a) for a in args]
            finally:
                self._items.pop()
            prop = text(fn.child_by_field_name("property"))
            return self._method(prop, receiver, values) if prop != "forEach" else NOTHING
        if name in ("setTimeout", "setInterval", "requestAnimationFrame", "setImmediate", "queueMicrotask"):
            return self._timed(args, interval=name == "setInterval")
        if name == "Math.random":
            return Value(RANDOM)
        if name.startswith(CLOCK) or name.endswith(".toISOString"):
            return Value(TIME)
        values = [self.value(a) for a in args]
        joined = join(values)
        if name.startswith(LOGS):
            self._logs += 1
            return NOTHING
        if name in SLEEPS or name.endswith((".sleep", ".delay")):
            self.facts.latency = True
            return NOTHING
        if name in CARRIERS:
            return joined
        if name in READERS:
            return (
                Value(joined.mask, 0, joined.calls)
                if name.startswith("Math.")
                else derived(join([operand(v) for v in values]))
            )
        if fn.type == "member_expression":
            obj = fn.child_by_field_name("object")
            prop = text(fn.child_by_field_name("property"))
            if obj is not None and obj.type == "this":
                found = self.local(node, prop, True)
                return (found | joined if not found.calls else found) if found is not None else Value(STATE) | joined
            if prop in TEXT_METHODS or prop in TEST_METHODS or prop in CUTTERS or prop in NORMALIZERS:
                return self._method(prop, self.value(obj), values, head=len(args) >= 2 and text(args[0]) == "0")
            if prop in ("then", "catch", "finally"):
                return self.value(obj) | joined
        elif fn.type == "identifier":
            found = self.local(node, name, False)
            if found is not None:
                return found | joined if not found.calls else found
            if self.imported(name):
                return Value(LOCAL, 0, (node,))
        return Value(REAL) | joined

    def _method(self, prop: str, receiver: Value, args: list[Value], *, head: bool = False) -> Value:
        if prop in ("join", "concat", "replace", "replaceAll", "padStart", "padEnd"):
            kept = args if prop in ("join", "concat") else [operand(a) for a in args[:1]] + args[1:]
            return receiver | join(kept)
        if prop in CUTTERS and receiver.mask & INPUT and head:  # `slice(0, n)`: the beginning, as a fake summary keeps
            return receiver.adding(CUT) | join([operand(a) for a in args])
        if prop in NORMALIZERS and receiver.mask & (INPUT | STATE):
            return receiver.adding(TEXT)
        if prop in TEST_METHODS:
            return derived(receiver | join([operand(a) for a in args]))
        if prop in ("map", "flatMap", "filter", "find", "sort"):
            return receiver | join(args)  # the callbacks' values: what each item becomes
        return receiver | join([operand(a) for a in args])

    def _new(self, node: Node) -> Value:
        ctor = text(node.child_by_field_name("constructor"))
        args = _args(node)
        if ctor == "Promise" and args and args[0].type in FUNCTIONS:
            return self._promise(args[0])
        if ctor == "Date":
            return Value(TIME)
        values = join([self.value(a) for a in args])
        if ctor in BUILT:
            return values or LITERAL
        return Value(REAL) | values


def _unwrap_function(node: Node) -> Node | None:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node if node.type in FUNCTIONS else None


def _inner(substitution: Node) -> Node | None:
    return substitution.named_children[0] if substitution.named_children else None


def _args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None or args.type == "template_string":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def _is_mock(name: str) -> bool:
    lowered = name.lower().lstrip("_")
    return lowered.startswith(("mock", "fake", "dummy", "sample", "stub", "canned"))

"""The JavaScript/TypeScript flow reader: one walk over a function body, tracking where each answer comes from.

Answers are what the function hands back: `return` values, `yield`s, what a returned `new Promise` resolves
(through `setTimeout` callbacks too), what it passes to a callback parameter (`push(chunk)`, `res.json(x)`).
Flow-insensitive like the Python reader (`python/flow.py`); anonymous callbacks are read as part of the body,
named nested functions are sites of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress

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
    RealWork,
    Value,
    derived,
    interpolated,
    join,
    operand,
    text_value,
)
from agentforge.scan.javascript.sites import own_name
from agentforge.scan.javascript.syntax import string_value, text

FUNCTIONS = ("arrow_function", "function_expression", "function", "generator_function")
NORMALIZERS = frozenset({"toLowerCase", "toUpperCase", "trim", "trimStart", "trimEnd", "normalize",
                         "toLocaleLowerCase", "toLocaleUpperCase"})  # fmt: skip
CUTTERS = frozenset({"slice", "substring", "substr"})
TEXT_METHODS = frozenset({
    "split", "join", "replace", "replaceAll", "concat", "padStart", "padEnd", "repeat", "charAt", "at", "map",
    "filter", "flatMap", "flat", "find", "sort", "reverse", "toString", "toFixed", "keys", "values", "entries",
    "get", "trimStart", "trimEnd", "trim", "toLowerCase", "toUpperCase", "normalize", "fill", "with", "toSorted",
    "toReversed"
})  # fmt: skip
TEST_METHODS = frozenset({"includes", "startsWith", "endsWith", "indexOf", "match", "test", "search", "some",
                          "every", "has", "lastIndexOf", "localeCompare"})  # fmt: skip
COUNTS = frozenset({"length", "size"})
CARRIERS = frozenset({"JSON.stringify", "JSON.parse", "String", "Array.from", "Object.assign", "Object.fromEntries",
                      "Object.values", "Object.entries", "Object.keys", "structuredClone", "Array.of"})  # fmt: skip
READERS = frozenset({"Number", "Boolean", "parseInt", "parseFloat", "Array.isArray", "isNaN", "Object.is",
                     "Math.floor", "Math.ceil", "Math.round", "Math.min", "Math.max", "Math.abs", "Math.trunc",
                     "Math.pow", "Math.sqrt", "Number.isFinite", "encodeURIComponent",
                     "decodeURIComponent"})  # fmt: skip
CLOCK = ("Date.now", "performance.now", "crypto.randomUUID", "uuid", "uuidv4", "nanoid", "process.cwd")
LOGS = ("console.", "logger.", "log.")
SLEEPS = frozenset({"sleep", "delay", "wait", "pause", "timeout"})
BUILT = frozenset(
    {"Set", "Map", "Array", "Date", "URLSearchParams", "Error", "TypeError", "RegExp", "Object", "String"}
)
RESPONSE = frozenset({"json", "send", "write", "end", "status"})
ITERATORS = frozenset({"map", "filter", "flatMap", "find", "findLast", "some", "every", "forEach", "reduce", "sort",
                       "then"})  # fmt: skip
"""Methods that call their callback with the receiver's own items (or resolved value)."""
WRITES = frozenset({"writeFileSync", "writeFile", "appendFileSync", "appendFile", "outputFile", "outputFileSync"})
PATHS = ("path.join", "path.resolve", "path.basename", "path.dirname", "path.extname", "path.relative", "process.cwd")


MAX_DEPTH = 200
"""Expressions nested deeper than this are generated code, not a prototype's: reading stops there."""


class Flow:
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

    # ----------------------------------------------------------------------------------------- statements

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

    # ---------------------------------------------------------------------------------------- expressions

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
                inner = Flow((), self.constant, self.local, self.imported)
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

    # ---------------------------------------------------------------------------------------------- tests

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


def _regex_receiver(fn: Node | None) -> bool:
    obj = fn.child_by_field_name("object") if fn is not None else None
    return obj is not None and obj.type == "regex"


def _spaced(node: Node) -> bool:
    return node.type == "regex" or " " in (string_value(node) or "")


def _unwrap_function(node: Node) -> Node | None:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node if node.type in FUNCTIONS else None


def _returned(stmt: Node) -> Node | None:
    inner = stmt.named_children[0] if stmt.named_child_count else None
    return inner if inner is not None and inner.type != "comment" else None


def _inner(substitution: Node) -> Node | None:
    return substitution.named_children[0] if substitution.named_children else None


def _args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None or args.type == "template_string":
        return []
    return [a for a in args.named_children if a.type != "comment"]


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


def _is_mock(name: str) -> bool:
    lowered = name.lower().lstrip("_")
    return lowered.startswith(("mock", "fake", "dummy", "sample", "stub", "canned"))

"""The Python flow reader: one walk over a function body, tracking where each answer's value comes from.

Flow-insensitive on purpose: a name's value is everything ever assigned (or appended, or added) to it, so a
variable set in every branch of a keyword `if` chain carries every branch's literal. Nested functions and
classes are sites of their own and are not entered; lambdas and comprehensions are read as expressions.
"""

from __future__ import annotations

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
    RealWork,
    Value,
    derived,
    interpolated,
    join,
    operand,
    text_value,
)
from agentforge.scan.python.literals import Shape
from agentforge.scan.python.syntax import dotted, last_name, string_value, text

TEXT_METHODS = frozenset({
    "strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "casefold", "split", "rsplit",
    "splitlines", "join", "replace", "format", "format_map", "removeprefix", "removesuffix", "zfill", "ljust",
    "rjust", "center", "partition", "rpartition", "expandtabs", "encode", "decode", "get", "items", "keys",
    "values", "copy", "strftime", "isoformat"
})  # fmt: skip
"""Methods that reshape text and containers: their result is still the input's own text."""
TEST_METHODS = frozenset({"startswith", "endswith", "find", "rfind", "index", "rindex", "__contains__"})
NORMALIZERS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title", "capitalize"})
COUNTS = frozenset({"len", "count"})
BUILTINS = frozenset({
    "str", "repr", "int", "float", "bool", "list", "tuple", "set", "frozenset", "dict", "sorted", "reversed",
    "enumerate", "zip", "range", "min", "max", "sum", "abs", "round", "any", "all", "map", "filter", "iter", "next",
    "isinstance", "issubclass", "hasattr", "getattr", "type", "format", "ord", "chr", "hex", "bin", "divmod",
    "json.dumps", "json.loads", "textwrap.shorten", "textwrap.fill", "textwrap.dedent", "html.escape", "str.join"
})  # fmt: skip
ARITHMETIC = frozenset({"sum", "min", "max", "abs", "round", "divmod", "int", "float"})
CARRIERS = frozenset({
    "str", "list", "tuple", "set", "frozenset", "dict", "sorted", "reversed", "enumerate", "zip", "map", "filter",
    "iter", "next", "format", "json.dumps", "textwrap.shorten", "textwrap.fill", "textwrap.dedent", "html.escape",
    "str.join"
})  # fmt: skip
"""Builtins whose result holds their arguments' content; every other builtin only reads its arguments."""
REGEX = frozenset({"findall", "search", "match", "fullmatch", "sub", "subn", "split", "finditer", "compile"})
RANDOM_CALLS = frozenset({"choice", "choices", "sample", "shuffle", "randint", "random", "uniform", "randrange"})
CLOCK = frozenset(
    {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.monotonic",
     "uuid.uuid4", "uuid.uuid1", "os.getenv", "os.environ.get", "getenv", "secrets.token_hex"}
)  # fmt: skip
SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "sleep", "anyio.sleep", "trio.sleep"})
LOGS = frozenset({"print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "pprint"})
WRAPPERS = frozenset(
    {"jsonify", "JSONResponse", "make_response", "Response", "HTMLResponse", "PlainTextResponse", "ORJSONResponse",
     "UJSONResponse", "dict", "json.dumps", "str", "StreamingResponse", "EventSourceResponse"}
)  # fmt: skip
"""Calls that only carry their argument out (a web framework's response, a conversion)."""
SINKS = frozenset({"append", "extend", "add", "update", "insert", "setdefault", "appendleft", "put"})
WRITES = frozenset({"write", "writelines", "dump"})
INPUT_NAMES = frozenset({"request", "req"})
"""Framework globals that hold the caller's input in a route handler (Flask's `request`)."""


MAX_DEPTH = 200
"""Expressions nested deeper than this are generated code, not a prototype's: reading stops there."""


class Flow:
    """Reads one body. `constant` resolves module constants to their value node; `local` classifies a call
    to a function of the same file (None: not one), `imported` says whether a name comes from the repo, and
    `static` reads a constant expression of the repo's own types (enum members, models built from literals)."""

    def __init__(
        self,
        params: Iterable[str],
        constant: Callable[[str], Node | None],
        local: Callable[[Node, str], Value | None],
        imported: Callable[[str], bool],
        static: Callable[[Node], Any],
    ) -> None:
        self.params = set(params)
        self.constant = constant
        self.local = local
        self.imported = imported
        self.static = static
        self.env: dict[str, Value] = {}
        self.constants: dict[str, Value] = {}
        """Module constants already read, shared by every flow of the file (`Flow.share`)."""
        self.facts = Facts(has_inputs=bool(self.params))
        self._logs = 0
        self._early: set[str] = set()
        """Names read before anything bound them: a loop may bind them later, so the body is read again."""
        self._depth = 0

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

    # ----------------------------------------------------------------------------------------- statements

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
                inner = Flow((), self.constant, self.local, self.imported, self.static)
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
        found = self.static(node)
        if found is not None:
            value = _literal(found.value)  # an enum member is a label: content, whatever its value's type
            return Value(value.mask, max(value.words, 1)) if found.shape is Shape.ENUM_MEMBER else value
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
        if name is not None and name[:1].isupper() and "." not in name:
            found = self.static(node)
            if found is not None:
                return _literal(found.value)
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

    # ---------------------------------------------------------------------------------------------- tests

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


def _is_mock(name: str) -> bool:
    lowered = name.lower().lstrip("_")
    return lowered.startswith(("mock", "fake", "dummy", "sample", "stub", "canned"))

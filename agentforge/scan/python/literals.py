"""Static evaluation of constant expressions: what a stub returns, computed from the tree alone.

Only shapes whose value is certain without running anything are understood; everything else is `None`,
which the detector reads as "real computation".
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from tree_sitter import Node

from agentforge.scan.python.syntax import dotted, last_name, string_value, text, unwrap


class Shape(StrEnum):
    LITERAL = "literal"
    ENUM_MEMBER = "enum_member"
    OBJECT = "object"
    """A repo class built from constant arguments, read as the dict of its arguments."""


@dataclass(frozen=True, slots=True)
class Static:
    value: Any
    """JSON-ready: tuples and sets become lists, enum members their values, objects dicts."""
    shape: Shape = Shape.LITERAL
    type_name: str | None = None
    """The enum or class named by an `ENUM_MEMBER` or `OBJECT`."""


class Classes(Protocol):
    """What evaluation needs to know about the repository's own classes (resolved by name from `rel`)."""

    def enum_members(self, name: str, rel: str) -> Mapping[str, Any] | None: ...

    def model_field_names(self, name: str, rel: str) -> Sequence[str] | None: ...


_ATOMS = {"true": True, "false": False, "none": None}
_INTEGER = re.compile(r"[0-9][0-9a-zA-Z_]*\Z")


def evaluate(node: Node, classes: Classes | None = None, rel: str = "") -> Static | None:
    """The constant value of `node`; enum members and repo models count only when `classes` is given."""
    node = unwrap(node)
    kind = node.type
    if kind in _ATOMS:
        return Static(_ATOMS[kind])
    if kind in ("string", "concatenated_string"):
        value = string_value(node)
        return Static(value) if value is not None else None
    if kind in ("integer", "float"):
        return _number(text(node))
    if kind == "unary_operator":
        return _signed(node)
    if kind in ("list", "tuple", "set"):
        items = [evaluate(c, classes, rel) for c in node.named_children if c.type != "comment"]
        return None if any(i is None for i in items) else Static([i.value for i in items if i is not None])
    if kind == "dictionary":
        return _dictionary(node, classes, rel)
    if classes is not None and kind == "attribute":
        return _enum_member(node, classes, rel)
    if classes is not None and kind == "call":
        return _constructor(node, classes, rel)
    return None


def _number(source: str) -> Static | None:
    if _INTEGER.match(source):
        try:  # `int(_, 0)` reads integer literals by Python's own rules (prefixes, `_`), without a compile
            return Static(int(source, 0))
        except ValueError:  # not an integer after all (`1j`, `012`) or over the digit limit: the literal
            pass  # reader decides, as for any other number
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Static(value) if not (isinstance(value, float) and not math.isfinite(value)) else None


def _signed(node: Node) -> Static | None:
    op, arg = node.child_by_field_name("operator"), node.child_by_field_name("argument")
    if op is None or arg is None or text(op) not in ("-", "+"):
        return None
    inner = evaluate(arg)
    if inner is None or isinstance(inner.value, bool) or not isinstance(inner.value, int | float):
        return None
    return Static(-inner.value if text(op) == "-" else inner.value)


def _dictionary(node: Node, classes: Classes | None, rel: str) -> Static | None:
    out: dict[str, Any] = {}
    for pair in node.named_children:
        if pair.type == "comment":
            continue
        key_node, value_node = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if pair.type != "pair" or key_node is None or value_node is None:
            return None
        key, value = evaluate(key_node), evaluate(value_node, classes, rel)
        if key is None or value is None or isinstance(key.value, list):
            return None
        out[key.value if isinstance(key.value, str) else str(key.value)] = value.value
    return Static(out)


def _enum_member(node: Node, classes: Classes, rel: str) -> Static | None:
    name = dotted(node)
    if name is None or "." not in name:
        return None
    parts = name.split(".")
    if parts[-1] in ("value", "name") and len(parts) >= 3:
        member = _member(parts[:-1], classes, rel)
        if member is None:
            return None
        return Static(member.value if parts[-1] == "value" else parts[-2])
    return _member(parts, classes, rel)


def _member(parts: list[str], classes: Classes, rel: str) -> Static | None:
    members = classes.enum_members(parts[-2], rel)
    if members is None or parts[-1] not in members:
        return None
    return Static(members[parts[-1]], Shape.ENUM_MEMBER, parts[-2])


def _constructor(node: Node, classes: Classes, rel: str) -> Static | None:
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    name = dotted(fn) if fn is not None else None
    if name is None or args is None or args.type != "argument_list":
        return None
    fields = classes.model_field_names(last_name(name), rel)
    if fields is None:
        return None
    out: dict[str, Any] = {}
    positional = 0
    for arg in args.named_children:
        if arg.type == "comment":
            continue
        if arg.type == "keyword_argument":
            key, value_node = arg.child_by_field_name("name"), arg.child_by_field_name("value")
            value = evaluate(value_node, classes, rel) if value_node is not None else None
            if key is None or value is None:
                return None
            out[text(key)] = value.value
            continue
        value = evaluate(arg, classes, rel) if arg.type not in ("list_splat", "dictionary_splat") else None
        if value is None or positional >= len(fields):
            return None
        out[fields[positional]] = value.value
        positional += 1
    return Static(out, Shape.OBJECT, last_name(name))

"""What a class declares, read from its body: its kind's hints, an enum's members, a record's fields."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tree_sitter import Node

from agentforge.scan.python.literals import evaluate
from agentforge.scan.python.syntax import (
    decorator_names,
    docstring,
    dotted,
    first_paragraph,
    last_name,
    statements,
    string_value,
    text,
    unwrap,
)

FIELD_FACTORIES = frozenset({"Field", "field"})


class ClassKind(StrEnum):
    ENUM = "enum"
    RECORD = "record"
    """Pydantic model, dataclass, TypedDict or NamedTuple: a class whose annotated fields are its schema."""
    PROTOCOL = "protocol"
    PLAIN = "plain"


@dataclass(slots=True)
class ClassInfo:
    name: str
    rel: str
    node: Node
    bases: list[str]
    decorators: list[str]
    total: bool = True
    """False for `TypedDict` classes declared with `total=False`."""

    @property
    def key(self) -> tuple[str, int]:
        return self.rel, self.node.start_byte

    @property
    def body(self) -> list[Node]:
        block = self.node.child_by_field_name("body")
        return statements(block) if block is not None else []

    @property
    def doc(self) -> str | None:
        """The docstring's first paragraph, on one line."""
        block = self.node.child_by_field_name("body")
        return first_paragraph(docstring(block)) if block is not None else None


@dataclass(frozen=True, slots=True)
class FieldInfo:
    name: str
    annotation: Node
    required: bool
    default: Node | None = None
    """The default's expression, evaluated later, once enum members and models can be resolved."""
    description: str | None = None


def class_info(outer: Node, node: Node, rel: str) -> ClassInfo | None:
    name = node.child_by_field_name("name")
    if name is None:
        return None
    info = ClassInfo(name=text(name), rel=rel, node=node, bases=[], decorators=decorator_names(outer))
    supers = node.child_by_field_name("superclasses")
    for arg in supers.named_children if supers is not None else []:
        if arg.type == "keyword_argument":
            key, value = arg.child_by_field_name("name"), arg.child_by_field_name("value")
            if text(key) == "total" and value is not None and value.type == "false":
                info.total = False
            continue
        base = arg.child_by_field_name("value") if arg.type in ("subscript", "generic_type") else arg
        name_text = dotted(base) if base is not None else None
        if name_text is not None:
            info.bases.append(name_text)
    return info


def enum_members(info: ClassInfo, *, str_valued: bool) -> dict[str, Any]:
    members: dict[str, Any] = {}
    next_int = 1
    for stmt in info.body:
        assign = stmt.named_children[0] if stmt.type == "expression_statement" else None
        if assign is None or assign.type != "assignment" or assign.child_by_field_name("type") is not None:
            continue
        left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier" or text(left).startswith("_"):
            continue
        name = text(left)
        call = dotted(right.child_by_field_name("function") or right) if right.type == "call" else None
        if call is not None and last_name(call) == "auto":
            value: Any = name.lower() if str_valued else next_int
        else:
            found = evaluate(right)
            value = found.value if found is not None else name
        if isinstance(value, int) and not isinstance(value, bool):
            next_int = value + 1
        members[name] = value
    return members


def own_fields(info: ClassInfo) -> list[FieldInfo]:
    out: list[FieldInfo] = []
    body = info.body
    for i, stmt in enumerate(body):
        assign = stmt.named_children[0] if stmt.type == "expression_statement" else None
        annotation = assign.child_by_field_name("type") if assign is not None else None
        left = assign.child_by_field_name("left") if assign is not None else None
        if assign is None or annotation is None or left is None or left.type != "identifier":
            continue
        name = text(left)
        head = _generic_head(annotation)
        if name.startswith("_") or head == "ClassVar":
            continue
        required, default, description = _default(assign.child_by_field_name("right"))
        if head in ("Required", "NotRequired"):
            required = head == "Required"
        elif not info.total:
            required = False
        if description is None and i + 1 < len(body) and body[i + 1].type == "expression_statement":
            description = string_value(body[i + 1].named_children[0])
        out.append(FieldInfo(name, annotation, required, default, description))
    return out


def _generic_head(annotation: Node) -> str | None:
    node = unwrap(annotation)
    if node.type in ("generic_type", "subscript"):
        head = node.child_by_field_name("value") if node.type == "subscript" else node.named_children[0]
        name = dotted(head) if head is not None else None
        return last_name(name) if name is not None else None
    return None


def _default(right: Node | None) -> tuple[bool, Node | None, str | None]:
    """(required, default, description) for a field's right-hand side, `Field(...)` included."""
    if right is None:
        return True, None, None
    fn = right.child_by_field_name("function") if right.type == "call" else None
    args = right.child_by_field_name("arguments") if right.type == "call" else None
    fn_name = dotted(fn) if fn is not None else None
    if fn_name is None or last_name(fn_name) not in FIELD_FACTORIES or args is None:
        return False, right, None
    required, default, description = True, None, None
    for position, arg in enumerate(a for a in args.named_children if a.type != "comment"):
        if arg.type == "keyword_argument":
            key, value = text(arg.child_by_field_name("name")), arg.child_by_field_name("value")
            if key in ("default", "default_factory"):
                required = False
                default = value if key == "default" else None
            elif key == "description" and value is not None:
                description = string_value(value)
        elif position == 0 and arg.type != "ellipsis":
            required, default = False, arg
    return required, default, description

"""Python annotations to JSON Schema, read from the tree: the contract an agent's output must keep.

Whatever cannot be resolved statically becomes `{}` (anything goes) plus a warning naming it, so a scan
never fails on a type and the reviewer sees exactly where the contract is loose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tree_sitter import Node

from agentforge.artifacts import JsonSchema
from agentforge.scan.python.classes import ClassInfo, ClassKind
from agentforge.scan.python.index import RepoIndex
from agentforge.scan.python.literals import Static, evaluate
from agentforge.scan.python.syntax import dotted, last_name, new_parser, string_value, text, unwrap

_SCALARS: dict[str, JsonSchema] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "None": {"type": "null"},
    "NoneType": {"type": "null"},
    "bytes": {"type": "string"},
    "Decimal": {"type": "number"},
    "Path": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "UUID": {"type": "string", "format": "uuid"},
    "EmailStr": {"type": "string", "format": "email"},
    "AnyUrl": {"type": "string", "format": "uri"},
    "HttpUrl": {"type": "string", "format": "uri"},
    "dict": {"type": "object"},
    "Dict": {"type": "object"},
    "Mapping": {"type": "object"},
    "list": {"type": "array"},
    "List": {"type": "array"},
    "Sequence": {"type": "array"},
}
_ARRAYS = frozenset(
    {"list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "Collection", "Deque", "deque"}
)
_SETS = frozenset({"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"})
_MAPPINGS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "DefaultDict", "defaultdict", "OrderedDict"})
_TRANSPARENT = frozenset({"Annotated", "Required", "NotRequired", "ReadOnly", "Final", "ClassVar"})
_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


class SchemaResolver:
    """Resolves annotations written in one file; `warn` receives one sentence per loose spot."""

    def __init__(self, index: RepoIndex, rel: str, warn: Callable[[str], None]) -> None:
        self._index = index
        self._rel = rel
        self._warn = warn
        self._expanding: set[str] = set()

    def constant(self, node: Node) -> Static | None:
        """A default value as JSON, with the enum members and models of the repository understood."""
        return evaluate(node, self._index, self._rel)

    def schema(self, annotation: Node) -> JsonSchema:
        node = unwrap(annotation)
        kind = node.type
        if kind == "none":
            return {"type": "null"}
        if kind in ("string", "concatenated_string"):
            return self._forward_ref(node)
        if kind == "union_type" or (kind == "binary_operator" and _operator(node) == "|"):
            return _union([self.schema(c) for c in _union_members(node)])
        if kind in ("generic_type", "subscript"):
            return self._generic(node)
        name = dotted(node)
        if name is None:
            self._warn(f"the type `{text(node)}` cannot be read statically; its schema is empty")
            return {}
        return self._named(last_name(name))

    def _forward_ref(self, node: Node) -> JsonSchema:
        value = string_value(node)
        if value is None:
            self._warn(f"the annotation `{text(node)}` is not a plain string; its schema is empty")
            return {}
        tree = new_parser().parse(b"_: " + value.encode() + b"\n")
        stmt = tree.root_node.named_children[0] if tree.root_node.named_child_count else None
        assign = stmt.named_children[0] if stmt is not None and stmt.named_child_count else None
        annotation = assign.child_by_field_name("type") if assign is not None else None
        if annotation is None or tree.root_node.has_error:
            self._warn(f"the forward reference {value!r} cannot be parsed; its schema is empty")
            return {}
        return self.schema(annotation)

    def _generic(self, node: Node) -> JsonSchema:
        head, args = _generic_parts(node)
        name = last_name(head) if head is not None else None
        if name is None:
            self._warn(f"the type `{text(node)}` cannot be read statically; its schema is empty")
            return {}
        if name == "Literal":
            return self._literal(args)
        if name in _TRANSPARENT and args:
            return self.schema(args[0])
        if name == "Optional" and args:
            return _union([self.schema(args[0]), {"type": "null"}])
        if name == "Union":
            return _union([self.schema(a) for a in args])
        if name in _ARRAYS | _SETS:
            schema: JsonSchema = {"type": "array", "items": self.schema(args[0])} if args else {"type": "array"}
            return schema | {"uniqueItems": True} if name in _SETS else schema
        if name in ("tuple", "Tuple"):
            return self._tuple(args)
        if name in _MAPPINGS:
            return {"type": "object", "additionalProperties": self.schema(args[-1])} if args else {"type": "object"}
        # A generic repo class (`Page[Ticket]`): its own fields are the best static answer.
        return self._named(name)

    def _literal(self, args: list[Node]) -> JsonSchema:
        values: list[Any] = []
        for arg in args:
            found = evaluate(arg, self._index, self._rel)
            if found is None:
                self._warn(f"the Literal value `{text(arg)}` cannot be read statically; it is left out")
                continue
            values.append(found.value)
        return _enum(values)

    def _tuple(self, args: list[Node]) -> JsonSchema:
        if len(args) == 2 and unwrap(args[1]).type == "ellipsis":
            return {"type": "array", "items": self.schema(args[0])}
        if not args:
            return {"type": "array"}
        items = [self.schema(a) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}

    def _named(self, name: str) -> JsonSchema:
        if name in _SCALARS:
            return dict(_SCALARS[name])
        if name in ("Any", "object"):
            self._warn(f"`{name}` gives no schema; the value is unconstrained")
            return {}
        info = self._index.find_class(name, self._rel)
        if info is not None:
            return self._class(info)
        alias = self._index.find_constant(name, self._rel)
        if alias is not None and name not in self._expanding:
            self._expanding.add(name)
            try:
                return self.schema(alias)
            finally:
                self._expanding.discard(name)
        self._warn(f"the type `{name}` is not defined in the repository; its schema is empty")
        return {}

    def _at(self, rel: str) -> SchemaResolver:
        """A resolver for names written in `rel` (a model's own file) that shares the recursion guard."""
        sibling = SchemaResolver(self._index, rel, self._warn)
        sibling._expanding = self._expanding
        return sibling

    def _class(self, info: ClassInfo) -> JsonSchema:
        kind = self._index.kind(info)
        if kind is ClassKind.ENUM:
            schema = {"title": info.name} | _enum(list(self._index.members(info).values()))
        elif kind is not ClassKind.RECORD:
            self._warn(f"the class `{info.name}` is not an enum, model, dataclass or TypedDict; its schema is empty")
            return {}
        elif info.name in self._expanding:
            return {"type": "object", "title": info.name}  # recursive model: stop at the second visit
        else:
            self._expanding.add(info.name)
            try:
                schema = self._record(info)
            finally:
                self._expanding.discard(info.name)
        return schema | {"description": info.doc} if info.doc else schema

    def _record(self, info: ClassInfo) -> JsonSchema:
        properties: dict[str, JsonSchema] = {}
        required: list[str] = []
        resolver = self._at(info.rel)
        for f in self._index.fields(info):
            prop = resolver.schema(f.annotation)
            if f.description:
                prop = prop | {"description": f.description}
            default = resolver.constant(f.default) if f.default is not None else None
            if default is not None and not f.required:
                prop = prop | {"default": default.value}
            properties[f.name] = prop
            if f.required:
                required.append(f.name)
        return {"type": "object", "title": info.name, "properties": properties, "required": required}


def _enum(values: list[Any]) -> JsonSchema:
    """`enum`, typed when all values share one JSON type: the form small models follow best."""
    types = {_JSON_TYPES.get(type(v)) for v in values}
    return {"type": types.pop(), "enum": values} if len(types) == 1 and None not in types else {"enum": values}


def _generic_parts(node: Node) -> tuple[str | None, list[Node]]:
    if node.type == "subscript":
        value = node.child_by_field_name("value")
        return (dotted(value) if value is not None else None), node.children_by_field_name("subscript")
    head = node.named_children[0]
    params = next((c for c in node.named_children if c.type == "type_parameter"), None)
    return dotted(head), (params.named_children if params is not None else [])


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return text(op) if op is not None else ""


def _union_members(node: Node) -> list[Node]:
    if node.type == "binary_operator":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return [n for n in (left, right) if n is not None]
    return node.named_children


def _union(schemas: list[JsonSchema]) -> JsonSchema:
    flat: list[JsonSchema] = []
    for s in schemas:
        for part in s["anyOf"] if list(s) == ["anyOf"] else [s]:
            if part not in flat:
                flat.append(part)
    if {} in flat:
        return {}
    return flat[0] if len(flat) == 1 else {"anyOf": flat}

"""TypeScript types and JSDoc types to JSON Schema, read statically across the whole repository.

Declarations (interfaces, object type aliases, enums, JSDoc `@typedef`s) are indexed in a first pass, so a
stub may use a type declared in any file. JSDoc type expressions are parsed with the TypeScript grammar, so
both share one resolver. Anything unresolvable becomes `{}` plus a warning, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tree_sitter import Node

from agentforge.artifacts import JsonSchema
from agentforge.scan.javascript.syntax import comments_holding, find_all, literal, parse, string_value, text

_PRIMITIVES: dict[str, JsonSchema] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "bigint": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "null": {"type": "null"},
    "undefined": {"type": "null"},
    "void": {"type": "null"},
    "any": {},
    "unknown": {},
    "object": {"type": "object"},
    "Object": {"type": "object"},
    "String": {"type": "string"},
    "Number": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "Date": {"type": "string", "format": "date-time"},
    "*": {},
}
TYPEDEF = re.compile(r"@typedef\s+\{([^}]*)\}\s+([\w$]+)")
_DECLARATIONS = ("interface_declaration", "type_alias_declaration", "enum_declaration")
PROPERTY = re.compile(r"@(?:property|prop)\s+\{([^}]*)\}\s+(\[?)([\w$.]+)")


@dataclass(slots=True)
class TypeIndex:
    """Every named type declaration in the repository, by name (a later duplicate wins)."""

    decls: dict[str, Node] = field(default_factory=dict)
    typedefs: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)

    def add_file(self, root: Node) -> None:
        for node in find_all(root, _DECLARATIONS):
            name = node.child_by_field_name("name")
            if name is not None:
                self.decls[text(name)] = node
        for comment in comments_holding(root, b"@typedef"):
            self._typedefs(text(comment))

    def _typedefs(self, comment: str) -> None:
        for block in re.split(r"(?=@typedef)", comment)[1:]:
            head = TYPEDEF.search(block)
            if head is None:
                continue
            props = [(m.group(3), m.group(1), bool(m.group(2))) for m in PROPERTY.finditer(block)]
            if props or head.group(1).strip() not in ("Object", "object"):
                self.typedefs[head.group(2)] = props or [("", head.group(1), False)]


class SchemaResolver:
    def __init__(self, index: TypeIndex, warn: Callable[[str], None]) -> None:
        self.index = index
        self.warn = warn
        self._active: set[str] = set()

    def jsdoc(self, expression: str) -> JsonSchema:
        """A JSDoc type expression (`Promise<Array<Lead>>`, `string[]`, `'a'|'b'`, `*`) as a schema."""
        expression = expression.strip().rstrip("=")
        if expression in _PRIMITIVES:
            return dict(_PRIMITIVES[expression])
        root = parse("jsdoc.ts", f"type __T = {expression};".encode())
        alias = root.named_children[0] if root.named_children else None
        value = alias.child_by_field_name("value") if alias is not None else None
        if root.has_error or value is None:
            self.warn(f"JSDoc type `{expression}` could not be read; its schema is empty")
            return {}
        return self.schema(value)

    def schema(self, node: Node) -> JsonSchema:
        kind = node.type
        if kind == "type_annotation" or kind == "parenthesized_type":
            return self.schema(node.named_children[-1]) if node.named_children else {}
        if kind == "predefined_type":
            return dict(_PRIMITIVES.get(text(node), {}))
        if kind == "literal_type":
            value = literal(node.named_children[0]) if node.named_children else None
            if value is None or value.value is None:
                return {"type": "null"} if text(node) in ("null", "undefined") else {}
            return {"const": value.value}
        if kind in ("null", "undefined"):
            return {"type": "null"}
        if kind == "array_type":
            return {"type": "array", "items": self.schema(node.named_children[0])}
        if kind == "tuple_type":
            items = [self.schema(c) for c in node.named_children]
            return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
        if kind == "union_type":
            return self._union(node)
        if kind == "object_type":
            return self._object(node)
        if kind == "generic_type":
            return self._generic(node)
        if kind in ("type_identifier", "identifier", "nested_type_identifier"):
            return self.named(text(node))
        self.warn(f"type `{text(node)}` is not understood; its schema is empty")
        return {}

    def _union(self, node: Node) -> JsonSchema:
        members: list[Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == "union_type":
                stack.extend(reversed(current.named_children))
            else:
                members.append(current)
        schemas = [self.schema(m) for m in members]
        nullable = [s for s in schemas if s == {"type": "null"}]
        rest = [s for s in schemas if s != {"type": "null"}]
        if rest and all("const" in s for s in rest):
            out: JsonSchema = {"enum": [s["const"] for s in rest]}
            if all(isinstance(s["const"], str) for s in rest):
                out["type"] = "string"
            if nullable:
                out["enum"].append(None)
                out.pop("type", None)
            return out
        if len(schemas) == 1:
            return schemas[0]
        return {"anyOf": schemas}

    def _object(self, node: Node) -> JsonSchema:
        properties: JsonSchema = {}
        required: list[str] = []
        for member in node.named_children:
            if member.type == "property_signature":
                name_node = member.child_by_field_name("name")
                name = string_value(name_node) if name_node is not None and name_node.type == "string" else None
                name = name if name is not None else text(name_node)
                annotation = member.child_by_field_name("type")
                properties[name] = self.schema(annotation) if annotation is not None else {}
                doc = member.prev_named_sibling
                if doc is not None and doc.type == "comment" and text(doc).startswith("/**"):
                    properties[name] = properties[name] | property_annotations(text(doc))
                if not any(c.type == "?" for c in member.children):
                    required.append(name)
            elif member.type == "index_signature":
                annotation = member.child_by_field_name("type")
                value = self.schema(annotation) if annotation is not None else {}
                return {"type": "object", "additionalProperties": value}
        return {"type": "object", "properties": properties, "required": required}

    def _generic(self, node: Node) -> JsonSchema:
        name = text(node.child_by_field_name("name") or node.named_children[0])
        args_node = node.child_by_field_name("type_arguments")
        args = [c for c in args_node.named_children] if args_node is not None else []
        if name in ("Promise", "Readonly", "Awaited", "Partial", "Required") and len(args) == 1:
            inner = self.schema(args[0])
            if name == "Partial" and "required" in inner:
                inner = {k: v for k, v in inner.items() if k != "required"} | {"required": []}
            return inner
        if name in ("Array", "ReadonlyArray", "Set") and len(args) == 1:
            return {"type": "array", "items": self.schema(args[0])}
        if name in ("Record", "Map") and len(args) == 2:
            return {"type": "object", "additionalProperties": self.schema(args[1])}
        self.warn(f"generic type `{text(node)}` is not understood; its schema is empty")
        return {}

    def named(self, name: str) -> JsonSchema:
        if name in _PRIMITIVES:
            return dict(_PRIMITIVES[name])
        if name in self._active:
            return {}  # a recursive type: stop here rather than loop
        decl = self.index.decls.get(name)
        typedef = self.index.typedefs.get(name)
        if decl is None and typedef is None:
            self.warn(f"type `{name}` is not declared in the repository; its schema is empty")
            return {}
        self._active.add(name)
        try:
            schema = self._declared(decl) if decl is not None else self._typedef(typedef or [])
        finally:
            self._active.discard(name)
        return {"title": name} | schema

    def _declared(self, decl: Node) -> JsonSchema:
        if decl.type == "enum_declaration":
            body = decl.child_by_field_name("body")
            values: list[object] = []
            for member in body.named_children if body is not None else []:
                if member.type == "comment":
                    continue
                value_node = member.child_by_field_name("value") if member.type == "enum_assignment" else None
                value = literal(value_node) if value_node is not None else None
                name = member.child_by_field_name("name") or member
                values.append(value.value if value is not None else text(name))
            if all(isinstance(v, str) for v in values):
                return {"type": "string", "enum": values}
            return {"enum": values}
        if decl.type == "interface_declaration":
            body = decl.child_by_field_name("body")
            return self._object(body) if body is not None else {"type": "object"}
        aliased = decl.child_by_field_name("value")
        return self.schema(aliased) if aliased is not None else {}

    def _typedef(self, props: list[tuple[str, str, bool]]) -> JsonSchema:
        if len(props) == 1 and props[0][0] == "":
            return self.jsdoc(props[0][1])
        properties = {name: self.jsdoc(kind) for name, kind, _ in props}
        required = [name for name, kind, optional in props if not optional and not kind.strip().endswith("=")]
        return {"type": "object", "properties": properties, "required": required}


_NUMERIC_TAGS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNT_TAGS = ("minLength", "maxLength", "minItems", "maxItems")
_JSDOC_TAG = re.compile(r"@(\w+)[ \t]*([^@\n]*)")


def property_annotations(comment: str) -> JsonSchema:
    """JSON Schema keywords from a property's JSDoc, as ts-json-schema-generator reads them: the description,
    and `@minimum`, `@maximum`, `@minLength`, `@maxItems`, `@pattern`, `@format`, ... tags."""
    body = "\n".join(
        line.strip().lstrip("*").strip() for line in comment.removeprefix("/**").removesuffix("*/").splitlines()
    )
    out: JsonSchema = {}
    description = body.split("@", 1)[0].strip()
    if description:
        out["description"] = " ".join(description.split())
    for tag, raw in _JSDOC_TAG.findall(body):
        value = raw.strip()
        try:
            if tag in _NUMERIC_TAGS:
                out[tag] = int(value) if re.fullmatch(r"-?\d+", value) else float(value)
            elif tag in _COUNT_TAGS:
                out[tag] = int(value)
            elif tag in ("pattern", "format") and value:
                out[tag] = value
        except ValueError:
            continue
    return out

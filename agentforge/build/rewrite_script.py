"""Rewrite JavaScript/TypeScript stub bodies into calls to the generated client, by exact byte spans.

Only each stub's body is replaced and one import (or `require`) line is inserted; every other byte of the file
is kept. The original body lives on inside the new one as an arrow function, `agentforgeStatic`: an arrow keeps
the enclosing `this` and `arguments`, so the prototype's value, returned when the runtime cannot be reached,
is computed exactly as before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Tree

from agentforge.artifacts import ModuleSpec
from agentforge.build.script_client import CALL, CALL_SYNC, FEED, PIECES, Flavor
from agentforge.errors import BuildError

FUNCTION_TYPES = frozenset(
    {"function_declaration", "generator_function_declaration", "function_expression", "arrow_function"}
    | {"method_definition", "generator_function"}
)
_PROMISE = re.compile(r"^\s*Promise\s*<")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
_RELATIVE_JS_IMPORT = re.compile(rb"""from\s+["']\.{1,2}/[^"']*\.js["']""")


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: bytes
    helpers: tuple[str, ...] = (CALL,)
    """The client functions the rewritten body uses (the import line names every one used)."""


@cache
def _parser(suffix: str) -> Parser:
    if suffix == ".tsx":
        return Parser(Language(tree_sitter_typescript.language_tsx()))
    if suffix in (".ts", ".mts", ".cts"):
        return Parser(Language(tree_sitter_typescript.language_typescript()))
    return Parser(Language(tree_sitter_javascript.language()))


def parse_script(path: str, source: bytes) -> Tree:
    return _parser("." + path.rsplit(".", 1)[-1].lower() if "." in path else "").parse(source)


def _text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", errors="replace") if node is not None else ""


def flavor_of(path: str, tree: Tree, package_type: str | None) -> Flavor:
    """How `path` imports the client: by suffix, else by the syntax it already uses, else as Node would load it."""
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix in ("ts", "tsx", "mts", "cts"):
        return Flavor.TS
    if suffix == "mjs":
        return Flavor.ESM
    if suffix == "cjs":
        return Flavor.CJS
    top = tree.root_node.named_children
    if any(node.type in ("import_statement", "export_statement") for node in top):
        return Flavor.ESM
    if b"require(" in (tree.root_node.text or b"") or b"module.exports" in (tree.root_node.text or b""):
        return Flavor.CJS
    return Flavor.ESM if package_type == "module" else Flavor.CJS


def import_specifier(from_file: str, client_file: str, flavor: Flavor, source: bytes) -> str:
    """The relative specifier of the client as `from_file` must write it (both paths relative to the root)."""
    from_dir = from_file.rsplit("/", 1)[0].split("/") if "/" in from_file else []
    target = client_file.split("/")
    common = 0
    while common < min(len(from_dir), len(target) - 1) and from_dir[common] == target[common]:
        common += 1
    parts = [".."] * (len(from_dir) - common) + target[common:]
    spec = "/".join(parts) if parts[0] == ".." else "./" + "/".join(parts)
    if flavor is Flavor.TS:
        stem = spec.rsplit(".", 1)[0]
        return stem + ".js" if _RELATIVE_JS_IMPORT.search(source) else stem
    return spec


def _find_function(tree: Tree, spec: ModuleSpec) -> tuple[Node, Node]:
    """(the function node, its body) whose body is exactly `spec.body_span`."""
    start, end = spec.body_span.start_byte, spec.body_span.end_byte
    node = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None:
        parent = node.parent
        if (
            parent is not None
            and parent.type in FUNCTION_TYPES
            and (node.start_byte, node.end_byte) == (start, end)
            and parent.child_by_field_name("body") == node
        ):
            return parent, node
        node = parent
    raise BuildError(f"{spec.id}: body_span {start}-{end} is not the body of a function; rescan the repo")


def _is_generator(func: Node) -> bool:
    return "generator" in func.type or any(c.type == "*" for c in func.children)


def _pattern_value(node: Node) -> str:
    """An expression that rebuilds the value a destructuring pattern saw, from the names it bound."""
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        return _text(node)
    if kind in ("required_parameter", "optional_parameter"):
        return _pattern_value(node.child_by_field_name("pattern") or node.named_children[0])
    if kind in ("assignment_pattern", "object_assignment_pattern"):
        return _pattern_value(node.child_by_field_name("left") or node.named_children[0])
    if kind == "rest_pattern":
        return "..." + _pattern_value(node.named_children[0])
    if kind == "object_pattern":
        fields = []
        for child in node.named_children:
            if child.type == "pair_pattern":
                key = _text(child.child_by_field_name("key"))
                value = child.child_by_field_name("value")
                bound = _pattern_value(value) if value is not None else key
                fields.append(key if bound == key else f"{key}: {bound}")
            elif child.type != "comment":
                fields.append(_pattern_value(child))
        return "{ " + ", ".join(fields) + " }"
    if kind == "array_pattern":
        return "[" + ", ".join(_pattern_value(c) for c in node.named_children if c.type != "comment") + "]"
    raise BuildError(f"a parameter written as `{_text(node)}` cannot be passed on to the runtime")


def _is_this(param: Node) -> bool:
    """TypeScript's `this: T` pseudo-parameter, which the scan leaves out too."""
    return param.type == "this" or (param.type == "required_parameter" and param.named_children[0].type == "this")


def _inputs(func: Node, spec: ModuleSpec) -> str:
    """`{ "name": value, ... }` for the spec's parameters, read from the function's own parameter list."""
    params = func.child_by_field_name("parameters") or func.child_by_field_name("parameter")
    nodes = [params] if params is not None and params.type == "identifier" else []
    if params is not None and not nodes:
        nodes = [c for c in params.named_children if c.type != "comment" and not _is_this(c)]
    if len(nodes) != len(spec.params):
        raise BuildError(f"{spec.id}: the function's parameters differ from the scan's; rescan the repo")
    pairs = []
    for param, node in zip(spec.params, nodes, strict=True):
        value = _pattern_value(node)
        if value.startswith("..."):
            value = value[3:]
        key = param.name if _IDENTIFIER.match(param.name) else json.dumps(param.name, ensure_ascii=False)
        pairs.append(key if key == value else f"{key}: {value}")
    return "{ " + ", ".join(pairs) + " }" if pairs else "{}"


def _multiline_literals(node: Node) -> Iterator[tuple[int, int]]:
    if node.type in ("template_string", "string") and node.start_point.row != node.end_point.row:
        yield node.start_byte, node.end_byte
        return
    for child in node.children:
        yield from _multiline_literals(child)


def _reindent(source: bytes, node: Node, unit: bytes, newline: bytes) -> bytes:
    """`node`'s text with every line after the first indented one more `unit`, except lines that start inside
    a multi-line template or string literal (indenting those would change the value)."""
    literals = list(_multiline_literals(node))
    lines, pos = [], node.start_byte
    for i, line in enumerate(source[node.start_byte : node.end_byte].split(newline)):
        inside = any(s < pos < e for s, e in literals)
        lines.append(unit + line if i and line.strip() and not inside else line)
        pos += len(line) + len(newline)
    return newline.join(lines)


def _line_indent(source: bytes, offset: int) -> bytes:
    line_start = source.rfind(b"\n", 0, offset) + 1
    line = source[line_start:offset]
    return line[: len(line) - len(line.lstrip(b" \t"))]


def _returns_promise(func: Node, spec: ModuleSpec) -> bool:
    if spec.is_async or any(c.type == "async" for c in func.children):
        return True
    return bool(spec.output_annotation and _PROMISE.match(spec.output_annotation))


def _stub_edit(source: bytes, tree: Tree, spec: ModuleSpec, newline: bytes) -> _Edit:
    if hashlib.sha256(source[spec.span.start_byte : spec.span.end_byte]).hexdigest() != spec.source_hash:
        raise BuildError(f"{spec.id}: file changed since scan (the function's source hash differs), rescan")
    func, body = _find_function(tree, spec)
    generator = _is_generator(func)
    is_async = any(c.type == "async" for c in func.children)
    promise = _returns_promise(func, spec)
    outer_indent = _line_indent(source, func.start_byte)
    unit = b"  "
    if body.type == "statement_block":
        statements = [c for c in body.named_children if c.type not in ("comment", "empty_statement")]
        inner = [c for c in body.named_children if c.type != "empty_statement"]
        if inner:
            indent = _line_indent(source, inner[0].start_byte)
            if indent.startswith(outer_indent) and indent != outer_indent:
                unit = indent[len(outer_indent) :]
        placeholder = all(c.type == "throw_statement" for c in statements)
        static = None if placeholder else _reindent(source, body, unit, newline)
    else:
        text = source[body.start_byte : body.end_byte]
        static = b"(" + text + b")" if text.lstrip().startswith(b"{") else text
    indent = outer_indent + unit
    return_type = func.child_by_field_name("return_type")
    annotation = _text(return_type) if return_type is not None else ""
    note = [f"// agentforge: served by the agentforge runtime (module {spec.id})."]
    if static is None:
        message = f"agentforge: the runtime could not be reached and {spec.id} has no static fallback"
        note.append("// The prototype had no static value: nothing to fall back on when the runtime is down.")
        static = b"{" + newline + indent + unit + f"throw new Error({json.dumps(message)});".encode() + newline
        static += indent + b"}"
    else:
        note += [
            "// The prototype's original static value below is the documented last-resort fallback,",
            "// returned only when the runtime cannot be reached.",
        ]
    module_id = json.dumps(spec.id, ensure_ascii=False)
    inputs = _inputs(func, spec)
    if generator:  # a stream stays a stream: the runtime's answer in pieces, or the prototype's own stream
        if not static.startswith(b"{"):
            static = b"{" + newline + indent + unit + b"return " + static + b";" + newline + indent + b"}"
        head = f"const agentforgeStatic = {'async ' if is_async else ''}function* (){annotation} ".encode()
        call = f"await {CALL}" if is_async else CALL_SYNC
        used: tuple[str, ...] = (CALL if is_async else CALL_SYNC, PIECES)
        final = f"yield* {PIECES}({call}({module_id}, {inputs}, agentforgeStatic));"
    elif spec.feeds:  # it hands its answer to a callback: the runtime's answer is fed to the same callback
        head = f"const agentforgeStatic = (){annotation} => ".encode()
        used = (FEED,)
        final = f"{FEED}({module_id}, {inputs}, agentforgeStatic, {spec.feeds});"
    else:
        head = f"const agentforgeStatic = {'async ' if is_async else ''}(){annotation} => ".encode()
        call = CALL if promise else CALL_SYNC
        used = (call,)
        final = f"return {call}({module_id}, {inputs}, agentforgeStatic);"
    lines = [*(line.encode() for line in note), head + static + b";", final.encode()]
    text = b"{" + newline + b"".join(indent + line + newline for line in lines) + outer_indent + b"}"
    return _Edit(body.start_byte, body.end_byte, text, used)


def _directive_end(tree: Tree, source: bytes) -> int:
    """Where an inserted import may go: after leading comments, a hashbang and `"use strict"` directives."""
    position = 0
    for child in tree.root_node.children:
        directive = child.type == "expression_statement" and [c.type for c in child.named_children] == ["string"]
        if directive or child.type in ("comment", "hash_bang_line"):
            position = child.end_byte
        else:
            break
    if position == 0:
        return 0  # nothing to keep above it: the import goes first (the first line may open a stub)
    end_of_line = source.find(b"\n", position)
    return len(source) if end_of_line < 0 else end_of_line + 1


def _import_edit(tree: Tree, source: bytes, flavor: Flavor, names: list[str], specifier: str, newline: bytes) -> _Edit:
    """One import line after the file's last top-level import (or after its header), so the rest stays put."""
    quoted = json.dumps(specifier)
    if flavor is Flavor.CJS:
        line = f"const {{ {', '.join(names)} }} = require({quoted});"
    else:
        line = f"import {{ {', '.join(names)} }} from {quoted};"
    imports = [c for c in tree.root_node.named_children if c.type == "import_statement"]
    if imports:
        end = imports[-1].end_byte
        end_of_line = source.find(b"\n", end)
        if end_of_line < 0:
            return _Edit(len(source), len(source), newline + line.encode())
        return _Edit(end_of_line + 1, end_of_line + 1, line.encode() + newline)
    position = _directive_end(tree, source)
    prefix = newline if position == len(source) and source and not source.endswith(b"\n") else b""
    return _Edit(position, position, prefix + line.encode() + newline)


def rewrite_script(source: bytes, specs: Sequence[ModuleSpec], *, path: str, flavor: Flavor, specifier: str) -> bytes:
    """`source` with every spec's body replaced by a client call and the client import added.

    Edits are applied from the end backwards so earlier offsets stay valid; the result must not add syntax
    errors that tree-sitter did not already find in the original.
    """
    tree = parse_script(path, source)
    newline = b"\r\n" if b"\r\n" in source else b"\n"
    edits = sorted((_stub_edit(source, tree, spec, newline) for spec in specs), key=lambda e: e.start)
    for before, after in pairwise(edits):
        if after.start < before.end:
            raise BuildError(f"{path}: two modules overlap (one stub is nested in another); rescan the repo")
    names = sorted({name for edit in edits for name in edit.helpers})
    result = source
    everything = [_import_edit(tree, source, flavor, names, specifier, newline), *edits]
    for edit in sorted(everything, key=lambda e: e.start, reverse=True):
        result = result[: edit.start] + edit.text + result[edit.end :]
    if parse_script(path, result).root_node.has_error and not tree.root_node.has_error:
        raise BuildError(f"{path}: the rewritten file does not parse; please report this with the stub's source")
    return result

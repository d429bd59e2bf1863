"""Rewrite Python stub bodies into runtime calls, by exact byte spans, so nothing else in a file moves.

Only the body block of each stub is replaced and one import line is inserted; every other byte of the file is
kept. The stub's original statements survive as the inner `_agentforge_static()` function: the documented
last-resort fallback when the runtime cannot be reached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Tree

from agentforge.artifacts import ModuleSpec
from agentforge.errors import BuildError

CLIENT_MODULE = "agentforge.runtime.client"


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: bytes
    helper: str = "call_module"
    """The client function the rewritten body calls (the import line names every one used)."""


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_python.language()))


def _text(node: Node) -> str:
    return (node.text or b"").decode()


def _is_docstring(node: Node) -> bool:
    return node.type == "expression_statement" and [c.type for c in node.named_children] in (
        ["string"],
        ["concatenated_string"],
    )


def _is_placeholder(node: Node) -> bool:
    """`pass`, `...` or `raise NotImplementedError[(...)]`: a body with no static value to fall back on."""
    if node.type == "pass_statement":
        return True
    if node.type == "expression_statement":
        return [c.type for c in node.named_children] == ["ellipsis"]
    if node.type == "raise_statement" and node.named_children:
        raised = node.named_children[0]
        callee = raised.child_by_field_name("function") if raised.type == "call" else raised
        return callee is not None and _text(callee) == "NotImplementedError"
    return False


def _param_name(node: Node) -> str | None:
    """The bound name of one parameter node (`x`, `x: int = 1`, `*args`, `**kwargs`); None for `*`, `/`."""
    if node.type == "identifier":
        return _text(node)
    if node.type == "comment":
        return None
    inner = node.child_by_field_name("name") or next(iter(node.named_children), None)
    return _param_name(inner) if inner is not None else None


def _input_names(func: Node, spec: ModuleSpec) -> list[str]:
    """The spec's parameter names (the keys of its input schema), each checked to be bound by the def."""
    params = func.child_by_field_name("parameters")
    bound = {_param_name(p) for p in (params.named_children if params else [])}
    names = [param.name for param in spec.params]
    if unbound := [name for name in names if name not in bound]:
        raise BuildError(f"{spec.id}: parameters {', '.join(unbound)} are not in the def; rescan the repo")
    return names


def _multiline_strings(node: Node) -> Iterator[tuple[int, int]]:
    if node.type == "string" and node.start_point.row != node.end_point.row:
        yield node.start_byte, node.end_byte
        return
    for child in node.children:
        yield from _multiline_strings(child)


def _reindent(source: bytes, statements: Sequence[Node], end: int, unit: bytes) -> bytes:
    """The source from the first statement to `end`, every line after the first indented one more `unit`,
    except lines that start inside a multi-line string (indenting those would change the string's value)."""
    start = statements[0].start_byte
    strings = [span for node in statements for span in _multiline_strings(node)]
    lines, pos = [], start
    for i, line in enumerate(source[start:end].split(b"\n")):
        inside_string = any(s < pos < e for s, e in strings)
        lines.append(unit + line if i and line.strip() and not inside_string else line)
        pos += len(line) + 1
    return b"\n".join(lines)


def _leading_space(source: bytes, offset: int) -> tuple[bytes, bytes]:
    """(the text between the start of the line holding `offset` and `offset`, that line's indentation)."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    prefix = source[line_start:offset]
    return prefix, prefix[: len(prefix) - len(prefix.lstrip(b" \t"))]


def _find_body(tree: Tree, spec: ModuleSpec) -> Node:
    start, end = spec.body_span.start_byte, spec.body_span.end_byte
    node = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None and not (
        node.type == "block"
        and node.parent is not None
        and node.parent.type == "function_definition"
        and (node.start_byte, node.end_byte) == (start, end)
    ):
        node = node.parent
    if node is None:
        raise BuildError(f"{spec.id}: body_span {start}-{end} is not the body of a function; rescan the repo")
    return node


def _indentation(source: bytes, func: Node, block: Node) -> tuple[bytes, bytes, bool]:
    """(the body's indentation, one indentation level, whether the body shares the def's line)."""
    _, def_indent = _leading_space(source, func.start_byte)
    prefix, indent = _leading_space(source, block.start_byte)
    inline = bool(prefix.strip())  # `def f(): return 1`
    if inline:
        indent = def_indent + (b"\t" if b"\t" in def_indent else b"    ")
    unit = indent[len(def_indent) :] if indent.startswith(def_indent) and indent != def_indent else b"    "
    return indent, unit, inline


def _fallback(source: bytes, spec: ModuleSpec, block: Node, unit: bytes) -> tuple[list[bytes], bytes]:
    """(the comment lines that explain the fallback, the body of `_agentforge_static`)."""
    statements = [c for c in block.named_children if c.type != "comment"]
    if statements and _is_docstring(statements[0]):
        statements.pop(0)
    if statements and not all(_is_placeholder(s) for s in statements):
        note = [
            b"# The prototype's original static value below is the documented last-resort fallback,",
            b"# returned only when the runtime cannot be reached.",
        ]
        # Up to the block's end, so comments after the statements (`return x  # canned`) come along.
        return note, _reindent(source, statements, block.end_byte, unit)
    message = f"agentforge: the runtime could not be reached and {spec.id} has no static fallback"
    note = [b"# The prototype had no static value: nothing to fall back on when the runtime is down."]
    return note, f"raise RuntimeError({json.dumps(message, ensure_ascii=False)})".encode()


def _stub_edit(source: bytes, tree: Tree, spec: ModuleSpec, newline: bytes) -> _Edit:
    span = source[spec.span.start_byte : spec.span.end_byte]
    if hashlib.sha256(span).hexdigest() != spec.source_hash:
        raise BuildError(f"{spec.id}: file changed since scan (the function's source hash differs), rescan")
    block = _find_body(tree, spec)
    func = block.parent
    assert func is not None  # _find_body only returns a function's block
    is_async = func.children[0].type == "async"
    indent, unit, inline = _indentation(source, func, block)
    first = next((c for c in block.named_children if c.type != "comment"), None)
    lines: list[tuple[int, bytes]] = []  # (indentation levels below the body's, text)
    if first is not None and _is_docstring(first):
        lines.append((0, source[first.start_byte : first.end_byte]))
    note, static = _fallback(source, spec, block, unit)
    annotation = func.child_by_field_name("return_type")
    arrow = f" -> {_text(annotation)}" if annotation else ""
    inputs = ", ".join(f"{json.dumps(n, ensure_ascii=False)}: {n}" for n in _input_names(func, spec))
    generator = _is_generator(block)
    lines += [
        (0, f"# agentforge: served by the agentforge runtime (module {spec.id}).".encode()),
        *((0, line) for line in note),
        (0, f"{'async ' if is_async else ''}def _agentforge_static(){arrow}:".encode()),
        (1, static),
    ]
    call = [(1, json.dumps(spec.id, ensure_ascii=False).encode() + b","), (1, f"{{{inputs}}},".encode())]
    if generator:  # a stream stays a stream: the runtime's answer in pieces, or the prototype's own stream
        helper = "astream_module" if is_async else "stream_module"
        head = b"async for _agentforge_piece in astream_module(" if is_async else b"yield from stream_module("
        lines += [(0, head), *call, (1, b"fallback=_agentforge_static,"), (0, b"):" if is_async else b")")]
        lines += [(1, b"yield _agentforge_piece")] if is_async else []
    else:
        helper = "acall_module" if is_async else "call_module"
        head = b"return await acall_module(" if is_async else b"return call_module("
        lines += [
            (0, head),
            *call,
            (1, f"returns={_returns(annotation)},".encode()),
            (1, b"fallback=_agentforge_static,"),
        ]
        lines += [(0, b")")]
    body = newline.join(indent + unit * level + text for level, text in lines)
    # The first line's indentation is already in the file, unless the body shared the def's line.
    body = newline + body if inline else body[len(indent) :]
    return _Edit(block.start_byte, block.end_byte, body, helper)


def _is_generator(block: Node) -> bool:
    """Whether the body yields (nested functions, classes and lambdas aside): the stub is a stream."""
    stack = list(block.named_children)
    while stack:
        node = stack.pop()
        if node.type == "yield":
            return True
        if node.type not in ("function_definition", "class_definition", "lambda", "decorated_definition"):
            stack.extend(node.named_children)
    return False


def _returns(annotation: Node | None) -> str:
    """The `returns=` argument: the annotation as written, unquoted when it is a string forward reference
    (the name is defined by the time the function runs); `None` (no cast) when there is none."""
    if annotation is None:
        return "None"
    node = annotation.named_children[0] if annotation.named_children else annotation
    if node.type == "string":
        return "".join(_text(c) for c in node.named_children if c.type == "string_content")
    return _text(node)


def _import_edit(tree: Tree, source: bytes, names: list[str], newline: bytes) -> _Edit:
    """One import line after the module docstring and `from __future__` imports (which must stay first),
    else before the first statement; leading comments (shebang, coding line, licence) stay on top."""
    line = f"from {CLIENT_MODULE} import {', '.join(names)}".encode()
    header_end: int | None = None
    first: Node | None = None
    for index, child in enumerate(c for c in tree.root_node.named_children if c.type != "comment"):
        if child.type == "future_import_statement" or (index == 0 and _is_docstring(child)):
            header_end = child.end_byte
        else:
            first = child
            break
    if header_end is None:
        position = source.rfind(b"\n", 0, first.start_byte) + 1 if first else 0
        return _Edit(position, position, line + newline)
    position = source.find(b"\n", header_end) + 1
    if position == 0:  # the header ends the file without a newline
        return _Edit(len(source), len(source), newline + line)
    return _Edit(position, position, line + newline)


def _problems(source: bytes, path: str) -> dict[str, str]:
    """What is wrong with a Python file, by check: tree-sitter ERROR nodes, compile() (never executed)."""
    found = {}
    if _parser().parse(source).root_node.has_error:
        found["tree-sitter"] = "tree-sitter finds syntax errors"
    try:
        compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        found["compile"] = f"compile() fails: {exc}"
    return found


def rewrite_python(source: bytes, specs: Sequence[ModuleSpec], *, path: str) -> bytes:
    """`source` with every spec's body replaced by a runtime call and the client import added.

    Edits are applied from the end of the file backwards so earlier byte offsets stay valid. The result
    must parse and compile; a check the original already failed (syntax newer than this interpreter) is
    not held against the rewrite.
    """
    tree = _parser().parse(source)
    newline = b"\r\n" if b"\r\n" in source else b"\n"
    edits = sorted((_stub_edit(source, tree, spec, newline) for spec in specs), key=lambda e: e.start)
    for before, after in pairwise(edits):
        if after.start < before.end:
            raise BuildError(f"{path}: two modules overlap (one stub is nested in another); rescan the repo")
    names = sorted({edit.helper for edit in edits})
    result = source
    for edit in [_import_edit(tree, source, names, newline), *edits][::-1]:
        result = result[: edit.start] + edit.text + result[edit.end :]
    already = _problems(source, path)
    new_problems = [message for check, message in _problems(result, path).items() if check not in already]
    if new_problems:
        raise BuildError(f"{path}: the rewritten file is not valid Python ({'; '.join(new_problems)})")
    return result

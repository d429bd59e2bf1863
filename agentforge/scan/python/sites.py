"""Where candidate modules live: functions at module level and methods of (possibly nested) classes.

Functions nested in functions, or defined under `if`/`try` at module level, are left alone: the build
stage can only rewrite definitions it can address by a stable `path::Qual.name`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from agentforge.scan.python.classes import ClassInfo, ClassKind, class_info
from agentforge.scan.python.index import RepoIndex
from agentforge.scan.python.syntax import decorator_names, definition, text


@dataclass(frozen=True, slots=True)
class Site:
    rel: str
    outer: Node
    """The definition with its decorators: the module's whole span."""
    node: Node
    """The `function_definition` itself."""
    name: str
    body: Node
    """The function's `block`: the bytes `build` replaces."""
    qualname: str
    decorators: list[str]
    owner: ClassInfo | None = None
    owner_kind: ClassKind | None = None


def sites(rel: str, root: Node, index: RepoIndex) -> Iterator[Site]:
    yield from _walk(rel, root, index, prefix="", owner=None)


def _walk(rel: str, block: Node, index: RepoIndex, prefix: str, owner: ClassInfo | None) -> Iterator[Site]:
    owner_kind = index.kind(owner) if owner is not None else None
    for outer in block.named_children:
        node = definition(outer)
        name_node = node.child_by_field_name("name")
        if name_node is None:
            continue
        name, body = text(name_node), node.child_by_field_name("body")
        if body is None:
            continue
        if node.type == "function_definition":
            yield Site(rel, outer, node, name, body, prefix + name, decorator_names(outer), owner, owner_kind)
        elif node.type == "class_definition":
            info = class_info(outer, node, rel)
            if info is not None:
                yield from _walk(rel, body, index, f"{prefix}{name}.", info)

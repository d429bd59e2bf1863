"""Where candidate modules live: functions at module level and methods of (possibly nested) classes.

Functions nested in functions, or defined under `if`/`try` at module level, are left alone: the build
stage can only rewrite definitions it can address by a stable `path::Qual.name`. So are functions that
cannot be stubs (a longer body, nothing marking them dynamic): most functions of a real repository are
passed over before any per-function object is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from agentforge.scan.python.classes import ClassInfo, ClassKind, class_info
from agentforge.scan.python.index import RepoIndex
from agentforge.scan.python.syntax import decorator_names, definition, last_name, longer_than, text

STUB_STATEMENTS = 2
"""The most statements a stub's body holds (comments aside): a docstring and one answer."""


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
    mentions_marker: bool = True
    """False when the file never spells `agentforge` (any case): no comment of it can be a dynamic marker,
    so detection skips looking for one."""


def sites(rel: str, root: Node, index: RepoIndex) -> Iterator[Site]:
    mentions = b"agentforge" in (root.text or b"").lower()
    yield from _walk(rel, root, index, prefix="", owner=None, mentions=mentions)


def _walk(
    rel: str, block: Node, index: RepoIndex, prefix: str, owner: ClassInfo | None, mentions: bool
) -> Iterator[Site]:
    owner_kind = index.kind(owner) if owner is not None else None
    for outer in block.named_children:
        node = definition(outer)
        if node.type not in ("function_definition", "class_definition"):
            continue
        name_node, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name_node is None or body is None:
            continue
        if node.type == "function_definition":
            decorators = decorator_names(outer)
            if (
                not mentions
                and longer_than(body, STUB_STATEMENTS)
                and all(last_name(d) != "dynamic" for d in decorators)
            ):
                continue  # real code, and nothing marks it dynamic: `detect` would pass it by
            name = text(name_node)
            yield Site(rel, outer, node, name, body, prefix + name, decorators, owner, owner_kind, mentions)
        else:
            info = class_info(outer, node, rel)
            if info is not None:
                yield from _walk(rel, body, index, f"{prefix}{info.name}.", info, mentions)

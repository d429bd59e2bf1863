"""The repository-wide index built in the first pass: classes, constants and imports of every file.

Stubs return types declared elsewhere (an enum in `models.py`, a model in `schemas.py`), so nothing is
judged until every file has been indexed. A name resolves in the asking file, then through its imports,
then by plain name anywhere in the repository.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tree_sitter import Node, Tree

from agentforge.scan.python.classes import (
    ClassInfo,
    ClassKind,
    FieldInfo,
    class_info,
    enum_members,
    own_fields,
)
from agentforge.scan.python.modules import ModuleTable, absolute
from agentforge.scan.python.syntax import definition, last_name, text, unwrap

ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag", "ReprEnum"})
RECORD_BASES = frozenset({"BaseModel", "TypedDict", "NamedTuple"})
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ParsedFile:
    rel: str
    source: bytes
    tree: Tree


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    """As written, leading dots kept: `.models`, `support_desk.assistant`."""
    name: str | None = None
    """The imported attribute for `from module import name`; None for `import module`."""


@dataclass(slots=True)
class FileIndex:
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    constants: dict[str, Node] = field(default_factory=dict)
    """Module-level `NAME = value` right-hand sides, type aliases included."""
    imports: dict[str, Import] = field(default_factory=dict)


class RepoIndex:
    def __init__(self, files: Sequence[ParsedFile]) -> None:
        self.files = {f.rel: _index_file(f) for f in files}
        self._kinds: dict[tuple[str, int], ClassKind] = {}
        self._modules = ModuleTable(self.files)
        self._first_class: dict[str, ClassInfo] = {}
        self._first_constant: dict[str, Node] = {}
        self._subclassed = {
            last_name(b) for f in self.files.values() for info in f.classes.values() for b in info.bases
        }
        for file in self.files.values():
            for name, info in file.classes.items():
                self._first_class.setdefault(name, info)
            for name, node in file.constants.items():
                self._first_constant.setdefault(name, node)

    def subclassed(self, name: str) -> bool:
        """Whether a class of the repository derives from one of that name: a base whose empty or refusing
        methods are there to be overridden."""
        return name in self._subclassed

    def module_files(self, module: str) -> list[str]:
        """The scanned files a dotted module name (absolute) can be."""
        return self._modules.files(module)

    def is_class(self, name: str, rel: str) -> bool:
        """Whether `name`, seen from `rel`, is a class of the repository."""
        return self.find_class(name, rel) is not None

    def find_class(self, name: str, rel: str) -> ClassInfo | None:
        return self._find(name, rel, lambda f: f.classes, self._first_class)

    def find_constant(self, name: str, rel: str) -> Node | None:
        return self._find(name, rel, lambda f: f.constants, self._first_constant)

    def _find(self, name: str, rel: str, table: Callable[[FileIndex], dict[str, T]], first: dict[str, T]) -> T | None:
        """`name` as seen from `rel`: its own definition, then the file it is imported from (aliases
        followed), then the first file defining that name."""
        own = self.files.get(rel, FileIndex())
        if name in table(own):
            return table(own)[name]
        imported = own.imports.get(name)
        if imported is not None and imported.name is not None:
            name = imported.name
            for path in self._modules.files(absolute(imported.module, rel)):
                if name in table(self.files[path]):
                    return table(self.files[path])[name]
        return first.get(name)

    def kind(self, info: ClassInfo) -> ClassKind:
        key = info.key
        if key not in self._kinds:
            self._kinds[key] = ClassKind.PLAIN  # provisional: breaks inheritance cycles
            self._kinds[key] = self._own_kind(info)
        return self._kinds[key]

    def _own_kind(self, info: ClassInfo) -> ClassKind:
        names = {last_name(b) for b in info.bases}
        if names & ENUM_BASES:
            return ClassKind.ENUM
        if names & RECORD_BASES or any(last_name(d) == "dataclass" for d in info.decorators):
            return ClassKind.RECORD
        if "Protocol" in names:
            return ClassKind.PROTOCOL
        for base in info.bases:
            parent = self.find_class(last_name(base), info.rel)
            if parent is not None and parent.key != info.key and self.kind(parent) is not ClassKind.PLAIN:
                return self.kind(parent)
        return ClassKind.PLAIN

    def enum_members(self, name: str, rel: str) -> dict[str, Any] | None:
        info = self.find_class(name, rel)
        return self.members(info) if info is not None and self.kind(info) is ClassKind.ENUM else None

    def members(self, info: ClassInfo) -> dict[str, Any]:
        """An enum's members and values in order, `auto()` numbered as the enum module would (read once)."""
        memo: dict[tuple[str, int], dict[str, Any]] = self.__dict__.setdefault("_members", {})
        if info.key not in memo:
            memo[info.key] = enum_members(
                info, str_valued=bool({"str", "StrEnum"} & {last_name(b) for b in info.bases})
            )
        return memo[info.key]

    def model_field_names(self, name: str, rel: str) -> list[str] | None:
        info = self.find_class(name, rel)
        if info is None or self.kind(info) is not ClassKind.RECORD:
            return None
        return [f.name for f in self.fields(info)]

    def fields(self, info: ClassInfo, seen: frozenset[tuple[str, int]] = frozenset()) -> list[FieldInfo]:
        """Own fields after inherited ones, as pydantic and dataclasses order them; cycles are cut."""
        out: dict[str, FieldInfo] = {}
        seen = seen | {info.key}
        for base in info.bases:
            parent = self.find_class(last_name(base), info.rel)
            if parent is not None and parent.key not in seen and self.kind(parent) is ClassKind.RECORD:
                out.update((f.name, f) for f in self.fields(parent, seen))
        out.update((f.name, f) for f in own_fields(info))
        return list(out.values())


def _index_file(parsed: ParsedFile) -> FileIndex:
    index = FileIndex()
    for node in parsed.tree.root_node.named_children:
        inner = definition(node)
        if inner.type == "class_definition":
            info = class_info(node, inner, parsed.rel)
            if info is not None:
                index.classes[info.name] = info
        elif node.type == "expression_statement" and node.named_child_count == 1:
            _constant(node.named_children[0], index)
        elif node.type == "type_alias_statement":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                index.constants[text(unwrap(left))] = right
        elif node.type in ("import_statement", "import_from_statement"):
            _imports(node, index)
    return index


def _constant(node: Node, index: FileIndex) -> None:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if node.type == "assignment" and left is not None and right is not None and left.type == "identifier":
        index.constants[text(left)] = right


def _imports(node: Node, index: FileIndex) -> None:
    module_node = node.child_by_field_name("module_name")
    module = text(module_node) if module_node is not None else None  # read once, not once per name
    for name in node.children_by_field_name("name"):
        if name.type == "aliased_import":
            original = name.child_by_field_name("name") or name
            alias_node = name.child_by_field_name("alias")
            imported, alias = text(original), text(alias_node if alias_node is not None else original)
        else:
            imported = alias = text(name)
        if module is None:
            # `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
            local = alias if name.type == "aliased_import" else imported.split(".")[0]
            index.imports[local] = Import(imported if name.type == "aliased_import" else local)
        else:
            index.imports[alias] = Import(module, imported)

"""Module-path arithmetic: which scanned file an import statement points at, without importing it.

The scanned root need not be a `sys.path` entry (an upload may hold `src/pkg/...` or the package folder
itself), so absolute module names match by dotted suffix in either direction.
"""

from __future__ import annotations

from collections.abc import Iterable


def module_of(rel: str) -> str:
    """`pkg/sub/mod.py` → `pkg.sub.mod`; a package's `__init__.py` is the package."""
    parts = rel.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute(module: str, importer: str) -> str:
    """Resolve `.mod` / `..pkg.mod` written in the file `importer` to a dotted name from the root."""
    dots = len(module) - len(module.lstrip("."))
    if not dots:
        return module
    package = module_of(importer).split(".")
    if not importer.endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - (dots - 1)]
    return ".".join([*base, *filter(None, module[dots:].split("."))])


def matches(candidate: str, wanted: str) -> bool:
    return candidate == wanted or candidate.endswith("." + wanted) or wanted.endswith("." + candidate)


class ModuleTable:
    """`matches` as dictionary lookups: resolving imports must not cost a pass over every file, and building
    the table must not cost more than a glance at each path (an incremental rescan builds it every time)."""

    def __init__(self, rels: Iterable[str]) -> None:
        self._exact: dict[str, list[str]] = {}
        self._by_last: dict[str, list[tuple[str, str]]] = {}
        for rel in rels:
            module = module_of(rel)
            self._exact.setdefault(module, []).append(rel)
            self._by_last.setdefault(module.rpartition(".")[2], []).append((module, rel))

    def files(self, wanted: str) -> list[str]:
        """The files whose module `matches` `wanted`: those it is a suffix of, then its own suffixes."""
        parts = wanted.split(".")
        tail = "." + wanted
        found = [rel for module, rel in self._by_last.get(parts[-1], []) if module == wanted or module.endswith(tail)]
        for i in range(1, len(parts)):
            found += self._exact.get(".".join(parts[i:]), [])
        return found

"""Module-path arithmetic: which scanned file an import statement points at, without importing it.

The scanned root need not be a `sys.path` entry (an upload may hold `src/pkg/...` or the package folder
itself), so absolute module names match by dotted suffix in either direction.
"""

from __future__ import annotations


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

"""The scan stage: find the parts of a prototype that only pretend, and give each a typed contract.

Scanning reads source text only; uploaded code is never imported or executed.
"""

from __future__ import annotations

from pathlib import Path

from agentforge.artifacts import ScanResult
from agentforge.errors import ScanError
from agentforge.scan.cache import ScanCache, extract_cached
from agentforge.scan.python import PythonExtractor
from agentforge.scan.registry import Registry
from agentforge.scan.walk import discover

__all__ = ["scan_repo"]


def scan_repo(root: Path, *, max_file_bytes: int = 1_000_000, cache_dir: Path | None = None) -> ScanResult:
    """Every stub module under `root`, with the warnings met on the way.

    Per-file trouble (bad encoding, syntax errors, oversized files, unresolvable types) becomes a
    `ScanWarning` and a partial result; only a root that cannot be scanned at all raises `ScanError`.

    With `cache_dir` (e.g. `agentforge.scan.cache.default_cache_dir(root)`; never inside `root`), Python
    results are cached per file by content hash, a rescan re-parses only what changed, and the result
    equals an uncached scan's.
    """
    root = Path(root)
    if not root.is_dir():
        raise ScanError(f"cannot scan {root}: {'not a directory' if root.exists() else 'no such directory'}")
    root = root.resolve()
    registry = Registry()
    found = discover(root, wanted=registry.wants, max_file_bytes=max_file_bytes)
    result = ScanResult(root=str(root), warnings=found.warnings, files_scanned=len(found.files))
    for extractor in registry.extractors:
        files = [f for f in found.files if registry.for_path(f.rel) is extractor]
        if cache_dir is not None and isinstance(extractor, PythonExtractor):
            extraction = extract_cached(files, ScanCache(cache_dir))
        else:
            extraction = extractor.extract(files)
        result.modules += extraction.modules
        result.warnings += extraction.warnings
    result.modules.sort(key=lambda m: (m.path, m.span.start_byte))
    return result

"""The scan as the extractors' own `extract` computes it, file set at once: what every pipeline must equal."""

from __future__ import annotations

from pathlib import Path

from agentforge.artifacts import ScanResult
from agentforge.scan import finish
from agentforge.scan.registry import Registry
from agentforge.scan.walk import discover


def reference_scan(root: Path, *, max_file_bytes: int = 1_000_000) -> ScanResult:
    root = Path(root).resolve()
    registry = Registry()
    found = discover(root, wanted=registry.wants, max_file_bytes=max_file_bytes)
    result = ScanResult(root=str(root), warnings=found.warnings, files_scanned=len(found.files))
    for extractor in registry.extractors:
        extraction = extractor.extract([f for f in found.files if registry.for_path(f.rel) is extractor])
        result.modules += extraction.modules
        result.warnings += extraction.warnings
        result.functions += extraction.functions
    return finish(result, explain=False)

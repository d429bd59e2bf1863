"""The Python extractor: index every file, then judge every function against that index.

Code is only ever parsed by tree-sitter, never imported or executed, so a prototype whose modules do
anything at import time (or are plain broken) is read exactly as safely as a clean one. The work itself is
the per-file pipeline of `scan/cache_python.py`, run here over the whole file set at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from tree_sitter import Node

from agentforge.artifacts import Language, ScanWarning
from agentforge.scan.extractor import Extraction, SourceFile, first_error_line


class PythonExtractor:
    language = Language.PYTHON
    suffixes = (".py",)

    def is_test_file(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"

    def extract(self, files: Sequence[SourceFile]) -> Extraction:
        from agentforge.scan.cache import assemble
        from agentforge.scan.cache_python import PythonPipeline

        return assemble(files, PythonPipeline(max_file_seconds=None, keep_facts=False).full(files))


def file_warnings(rel: str, source: bytes, root: Node) -> list[ScanWarning]:
    warnings = []
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (line {line}); undecodable bytes are read as U+FFFD"
        warnings.append(ScanWarning(path=rel, message=message))
    if root.has_error:
        line = first_error_line(root)
        message = f"syntax error near line {line}; definitions in the broken region are skipped"
        warnings.append(ScanWarning(path=rel, message=message))
    return warnings

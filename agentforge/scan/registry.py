"""The languages the scanner reads: one extractor per language, chosen by file suffix.

A new language is one new extractor module plus one entry in `BUILTIN_EXTRACTORS`.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentforge.scan.extractor import LanguageExtractor
from agentforge.scan.javascript import JavaScriptExtractor, TypeScriptExtractor
from agentforge.scan.python import PythonExtractor

BUILTIN_EXTRACTORS: tuple[LanguageExtractor, ...] = (PythonExtractor(), JavaScriptExtractor(), TypeScriptExtractor())


class Registry:
    def __init__(self, extractors: Sequence[LanguageExtractor] = BUILTIN_EXTRACTORS) -> None:
        self.extractors = tuple(extractors)
        self._by_suffix = {s: e for e in self.extractors for s in e.suffixes}

    def for_path(self, rel: str) -> LanguageExtractor | None:
        name = rel.rsplit("/", 1)[-1]
        dot = name.rfind(".")
        return self._by_suffix.get(name[dot:]) if dot > 0 else None

    def wants(self, rel: str) -> bool:
        """Whether some language reads `rel` as product code (its own test files excluded)."""
        extractor = self.for_path(rel)
        return extractor is not None and not extractor.is_test_file(rel)

"""The seam between language-neutral file discovery and one language's reading of code.

Adding a language (JS, TS) means writing one class that satisfies `LanguageExtractor` and listing it in
`registry.py`; discovery, size limits and ignore rules stay shared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from tree_sitter import Node

from agentforge.artifacts import DetectionReason, Language, ModuleSpec, ScanWarning

FileStat = tuple[int, int, int, int]
"""`(size, mtime_ns, ctime_ns, inode)`: what a rescan compares to know a file is unchanged without reading it."""


class SourceFile:
    """One file to scan. Its bytes are read on first use when discovery deferred the read (a file the last
    scan already read, unchanged since by its `stat`): an incremental rescan then never touches it."""

    __slots__ = ("_path", "_source", "rel", "stat")

    def __init__(self, rel: str, source: bytes | None = None, *, path: str = "", stat: FileStat | None = None) -> None:
        self.rel = rel
        """POSIX path relative to the scanned root: the prefix of every module id found in it."""
        self.stat = stat
        self._source = source
        self._path = path

    @property
    def source(self) -> bytes:
        """The raw bytes, never decoded up front, so byte spans stay exact even in badly encoded files. A
        deferred file that vanished since discovery reads as empty (it is gone from the next scan anyway)."""
        if self._source is None:
            try:
                with open(self._path, "rb") as handle:
                    self._source = handle.read()
            except OSError:
                self._source = b""
        return self._source

    def __repr__(self) -> str:
        return f"SourceFile({self.rel!r})"


@dataclass(slots=True)
class Extraction:
    modules: list[ModuleSpec] = field(default_factory=list)
    """Every function judged to show some evidence of faking, whatever its confidence."""
    warnings: list[ScanWarning] = field(default_factory=list)
    functions: int = 0


S = TypeVar("S")


BIAS = -2.0
"""The log-odds of a function being a stub before any evidence: most functions that show a little are not."""


def logistic(logit: float) -> float:
    return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit)))), 3)


@dataclass(frozen=True, slots=True)
class Detection(Generic[S]):
    """Why a language's detector judged a function, and the hard-coded answer it gives (`S` is that
    language's static value)."""

    reasons: list[DetectionReason]
    static: S | None = None
    static_node: Node | None = None
    """The returned expression whose text is the module's `static_source`."""
    pending: tuple[Node, ...] = ()
    """Calls to other functions of the repository that every answer is: a stub if they are (delegation)."""
    feeds: str | None = None
    """The callback parameter the stub hands its answers to, when it returns none (`Facts.feeds`)."""

    @property
    def confidence(self) -> float:
        """The weights add up as log-odds (independent hints reinforce each other, evidence against a stub
        subtracts), and the logistic of the sum is the confidence; an explicit marker is certain."""
        if any(r.code == "explicit_marker" for r in self.reasons):
            return 1.0
        return logistic(BIAS + sum(r.weight for r in self.reasons))


def reason(code: str, detail: str, weight: float) -> DetectionReason:
    return DetectionReason(code=code, detail=detail, confidence=logistic(weight), weight=weight)


class LanguageExtractor(Protocol):
    """Finds the stub modules of one language.

    `extract` receives every file of its language at once because types and stubs cross files: an enum
    declared in one module is the output type of a stub in another.
    """

    @property
    def language(self) -> Language: ...

    @property
    def suffixes(self) -> tuple[str, ...]: ...

    def is_test_file(self, rel: str) -> bool:
        """Test files describe the product rather than being it, so their fakes are not modules."""
        ...

    def extract(self, files: Sequence[SourceFile]) -> Extraction: ...


def first_error_line(root: Node) -> int:
    """The 1-based line of the first ERROR or MISSING node in source order (1 when none is found). Only
    subtrees that report an error are entered, so a broken file costs its error path, not a full walk."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node.start_point.row + 1
        stack.extend(reversed([c for c in node.children if c.has_error]))
    return 1


def fill_called_by(specs: Sequence[ModuleSpec]) -> None:
    """Derive every spec's `called_by` from the others' `calls` (the inverse edge, recomputed from scratch)."""
    by_id = {spec.id: spec for spec in specs}
    for spec in specs:
        spec.called_by = []
    for spec in specs:
        for callee in spec.calls:
            if callee in by_id:
                by_id[callee].called_by.append(spec.id)
    for spec in specs:
        spec.called_by.sort()

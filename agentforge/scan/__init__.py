"""The scan stage: find the parts of a prototype that only pretend, and give each a typed contract.

Scanning reads source text only; uploaded code is never imported or executed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from agentforge.artifacts import Candidate, ModuleSpec, ScanResult, ScanWarning
from agentforge.errors import ScanError
from agentforge.scan import cache
from agentforge.scan.budget import DEFAULT_FILE_SECONDS
from agentforge.scan.cache_python import PythonPipeline
from agentforge.scan.cache_python import check_facts as python_facts
from agentforge.scan.cache_script import ScriptPipeline
from agentforge.scan.cache_script import check_facts as script_facts
from agentforge.scan.extractor import Extraction, LanguageExtractor, SourceFile
from agentforge.scan.javascript.extractor import ScriptExtractor
from agentforge.scan.parallel import SplitPipeline, full_scans, worker_count
from agentforge.scan.python import PythonExtractor
from agentforge.scan.registry import Registry
from agentforge.scan.scoring import DEFAULT_MIN_CONFIDENCE
from agentforge.scan.walk import discover

__all__ = ["DEFAULT_MIN_CONFIDENCE", "scan_repo"]


def scan_repo(
    root: Path,
    *,
    max_file_bytes: int = 1_000_000,
    cache_dir: Path | None = None,
    max_file_seconds: float | None = DEFAULT_FILE_SECONDS,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    explain: bool = False,
    workers: int | None = None,
) -> ScanResult:
    """Every stub module under `root` whose confidence reaches `min_confidence`, with the warnings met on
    the way; with `explain`, also every function that showed some evidence and was not reported, and why.

    Per-file trouble (bad encoding, syntax errors, oversized files, unresolvable types, code nested past
    Python's recursion limit, a file taking over `max_file_seconds` to read) becomes a `ScanWarning` and a
    partial result; only a root that cannot be scanned at all raises `ScanError`.

    With `cache_dir` (e.g. `agentforge.scan.cache.default_cache_dir(root)`; never inside `root`), results
    are cached per file by content hash, a rescan re-parses only what changed, and the result equals an
    uncached scan's.

    A full scan of a large repository is split across up to `workers` processes (default: the usable CPUs,
    or `AGENTFORGE_SCAN_WORKERS`; see `scan/parallel.py`); the result is the same with any number.
    """
    root = Path(root)
    if not root.is_dir():
        raise ScanError(f"cannot scan {root}: {'not a directory' if root.exists() else 'no such directory'}")
    root = root.resolve()
    started_ns = time.time_ns()
    registry = Registry()
    misplaced = cache_dir is not None and Path(cache_dir).resolve().is_relative_to(root)
    stores: dict[str, cache.EntryStore] = {}
    if cache_dir is not None and not misplaced:
        for extractor in registry.extractors:
            check = _facts_check(extractor)
            if check is not None:
                kind = extractor.language.value
                stores[kind] = cache.EntryStore(cache_dir, kind, check, started_ns=started_ns)
    known = {rel: stat for store in stores.values() for rel, stat in store.known().items()}
    found = discover(root, wanted=registry.wants, max_file_bytes=max_file_bytes, known=known)
    result = ScanResult(
        root=str(root), warnings=found.warnings, files_scanned=len(found.files), min_confidence=min_confidence
    )
    if misplaced:
        message = "the scan cache may not live inside the scanned repository; scanned without it"
        result.warnings.append(ScanWarning(path=".", message=message))
    by_extractor: dict[int, list[SourceFile]] = {}
    for f in found.files:
        by_extractor.setdefault(id(registry.for_path(f.rel)), []).append(f)
    extractions: dict[int, Extraction] = {}
    split: list[tuple[LanguageExtractor, tuple[list[SourceFile], cache.Pipeline, cache.EntryStore | None]]] = []
    pipelines: dict[int, tuple[SplitPipeline, Callable[[], SplitPipeline]]] = {}
    for extractor in registry.extractors:
        files = by_extractor.get(id(extractor), [])
        store = stores.get(extractor.language.value)
        factory = _factory(extractor, max_file_seconds, keep_facts=store is not None)
        if factory is None:
            extractions[id(extractor)] = extractor.extract(files)
            continue
        pipeline = factory()
        pipelines[id(pipeline)] = pipeline, factory
        split.append((extractor, (files, pipeline, store)))

    def full(batch: list[tuple[cache.Pipeline, Sequence[SourceFile]]]) -> list[dict[str, cache.Entry]]:
        jobs = [(*pipelines[id(pipeline)], files) for pipeline, files in batch]
        return full_scans(jobs, worker_count(workers))

    for (extractor, _), done in zip(split, cache.extract_all([job for _, job in split], full), strict=True):
        extractions[id(extractor)] = done
    for extractor in registry.extractors:
        extraction = extractions[id(extractor)]
        result.modules += extraction.modules
        result.warnings += extraction.warnings
        result.functions += extraction.functions
    return finish(result, explain=explain)


def finish(result: ScanResult, *, explain: bool) -> ScanResult:
    """Every language's findings in one order, kept at the result's threshold; with `explain`, the rest as
    candidates with the reason each was not reported."""
    result.modules.sort(key=lambda m: (m.path, m.span.start_byte))
    rejected = [m for m in result.modules if m.confidence < result.min_confidence]
    result.modules = _reported(result.modules, result.min_confidence)
    unreported = tuple(f"{m.id}: " for m in rejected)
    if unreported:  # a contract nobody is shown has nothing to warn about
        result.warnings = [w for w in result.warnings if not w.message.startswith(unreported)]
    if explain:
        result.candidates = [_candidate(m, result.min_confidence) for m in rejected]
    return result


def _reported(specs: list[ModuleSpec], threshold: float) -> list[ModuleSpec]:
    """The findings at `threshold`, their call edges kept only between findings."""
    kept = [m for m in specs if m.confidence >= threshold]
    ids = {m.id for m in kept}
    for m in kept:
        m.calls = [c for c in m.calls if c in ids]
        m.called_by = [c for c in m.called_by if c in ids]
    return kept


def _candidate(spec: ModuleSpec, threshold: float) -> Candidate:
    against = [r for r in spec.reasons if r.weight < 0]
    if against:
        why = f"{'; '.join(r.detail.rstrip('.') for r in against)}: confidence {spec.confidence:.2f} < {threshold:.2f}."
    else:
        why = f"The evidence is too thin: confidence {spec.confidence:.2f} < {threshold:.2f}."
    return Candidate(
        id=spec.id,
        name=spec.name,
        path=spec.path,
        span=spec.span,
        confidence=spec.confidence,
        reasons=spec.reasons,
        why=why,
    )


def _facts_check(extractor: LanguageExtractor) -> Callable[[dict[str, Any]], object] | None:
    """How a built-in language validates its cached facts; None for a language that runs uncached."""
    if isinstance(extractor, PythonExtractor):
        return python_facts
    if isinstance(extractor, ScriptExtractor):
        return script_facts
    return None


def _factory(
    extractor: LanguageExtractor, seconds: float | None, *, keep_facts: bool
) -> Callable[[], SplitPipeline] | None:
    """How the built-in languages' pipelines are built (split per file: cache, time budget, processes); None
    for any other extractor, which runs as it is."""
    if isinstance(extractor, PythonExtractor):
        return partial(PythonPipeline, max_file_seconds=seconds, keep_facts=keep_facts)
    if isinstance(extractor, ScriptExtractor):
        return partial(ScriptPipeline, extractor, max_file_seconds=seconds, keep_facts=keep_facts)
    return None

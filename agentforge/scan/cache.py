"""Incremental scanning, the shared part: per-file results kept by content hash, one snapshot per language.

An extractor judges each file against a repository-wide index, so a file's result depends on the others
only through a few facts (the names and declarations it exports, the stub ids calls link to). Each language
module (`cache_python`, `cache_script`) keeps, per file, a digest of those facts next to the file's warnings
and finished specs. A rescan re-parses the files whose content changed; when their facts and stub ids are
unchanged every other file's entry still holds, and anything else (a file added or removed, a changed
interface, a lost entry) falls back to a full, cache-refreshing scan.

Only the previous scan's entry for a path is ever reused, and only while that path's content is unchanged:
an entry computed in another context (before an edit that was later reverted, say) may hold links and types
that no longer apply. So one JSON snapshot per language (`snapshot-<language>.json` under `cache_dir`, never
inside the scanned root) holds the whole store. It is written atomically (temp file + rename) and versioned
by the format, agentforge, the grammars and the scanner's own source; an unreadable, corrupt or stale
snapshot or entry is simply a miss.

The snapshot also keeps the stat (size, mtime, ctime, inode) each file had when it was hashed, as git's
index does: a file whose stat is unchanged is not even read on the next scan. ctime moves on every write and
cannot be set back, and files changed within `RACY_NS` of a scan keep no stat, so an edit is never missed.
"""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pydantic_core
from pydantic import BaseModel
from tree_sitter import Parser, Tree

from agentforge.artifacts import ModuleSpec, ScanWarning
from agentforge.config import default_home
from agentforge.scan.extractor import Extraction, FileStat, SourceFile, fill_called_by
from agentforge.scan.scoring import DELEGATION_CONFIDENCE

CACHE_FORMAT = 3
_PACKAGES = ("agentforge", "tree-sitter", "tree-sitter-python", "tree-sitter-javascript", "tree-sitter-typescript")
S = TypeVar("S")
P = TypeVar("P")


def _version() -> str:
    def of(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "?"

    code = hashlib.sha256()
    here = Path(__file__).parent
    for path in [here.parent / "artifacts.py", *sorted(here.rglob("*.py"))]:
        try:
            code.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            code.update(b"?")
    packages = "/".join(f"{p}-{of(p)}" for p in _PACKAGES)
    return f"{CACHE_FORMAT}/{packages}/code-{code.hexdigest()[:16]}"


VERSION = _version()
"""Any change to the format, agentforge, a grammar or the scanner's source makes every old entry a miss:
during development the package version does not move, but the code that produced an entry does."""


def default_cache_dir(root: Path) -> Path:
    """`$AGENTFORGE_HOME/scan-cache/<hash of the root path>`: outside the scanned repository, always."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:32]
    return default_home() / "scan-cache" / digest


def _parse(parser: Parser, source: bytes) -> Tree:
    """Every parse the scan pipelines make goes through here, so tests and benchmarks can count them."""
    return parser.parse(source)


@dataclass(slots=True)
class Entry:
    """One file's result: what other files may depend on (`facts`, language-specific JSON), its warnings
    (file-level first, then those met judging its functions) and its finished specs (`called_by` aside)."""

    facts: dict[str, Any]
    file_warnings: list[str]
    judge_warnings: list[str]
    specs: list[ModuleSpec]
    cacheable: bool = True
    """False for a file cut short by its time budget: how far it got depends on the machine, not the code."""

    def dump(self) -> str | None:
        """What the entry found, as JSON text, or None when it found nothing (most files): the snapshot keeps
        facts as plain JSON and findings as one string per file, so loading it builds no object for the
        findings of a file nobody asks about, and an unchanged entry is written back without re-encoding."""
        if not (self.specs or self.file_warnings or self.judge_warnings):
            return None
        found = _Findings(file_warnings=self.file_warnings, judge_warnings=self.judge_warnings, specs=self.specs)
        return found.model_dump_json(exclude={"specs": {"__all__": {"called_by"}}})

    @classmethod
    def load(cls, facts: Any, findings: str | None) -> Entry:
        """Parsed and validated in one pass (pydantic's own JSON reader); raises ValueError when malformed."""
        if not isinstance(facts, dict):
            raise TypeError("facts")
        if findings is None:
            return cls(facts, [], [], [])
        found = _Findings.model_validate_json(findings)
        return cls(facts, found.file_warnings, found.judge_warnings, found.specs)


class _Findings(BaseModel):
    file_warnings: list[str]
    judge_warnings: list[str]
    specs: list[ModuleSpec]


_BROKEN = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError)
"""What reading a missing, corrupt, truncated or hand-edited cache file can raise: all of them a miss."""


RACY_NS = 2_000_000_000
"""A file changed this close to a scan's start, or during it, could change again within the filesystem's
timestamp granularity (2 s on FAT) without its stat moving, so its stat is not kept: it is re-read next time."""


class EntryStore:
    """The last scan of one language: path -> content key, the stat each key was read under, and each
    path's entry as stored."""

    def __init__(
        self, directory: Path, kind: str, check: Callable[[dict[str, Any]], object], *, started_ns: int | None = None
    ) -> None:
        self.path = Path(directory) / f"snapshot-{kind}.json"
        self.kind = kind
        self._check = check
        """Validates an entry's `facts` (raises on a malformed one), so language code can trust them."""
        self._started_ns = time.time_ns() if started_ns is None else started_ns
        """When this scan's discovery began: stats are trusted only for files older than that."""
        self._loaded = False
        self._files: dict[str, str] = {}
        self._stats: dict[str, FileStat] = {}
        self._facts: dict[str, Any] = {}
        self._findings: dict[str, str] = {}

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            with gc_paused():
                data = pydantic_core.from_json(self.path.read_bytes())  # twice as fast as json.loads here
            if data.get("version") != VERSION:
                return
            files = {str(k): str(v) for k, v in data["files"].items()}
            stats = {str(k): _stat(v) for k, v in data["stats"].items() if k in files}
            facts = dict(data["facts"])
            findings = {str(k): v for k, v in data["findings"].items() if isinstance(v, str)}
        except _BROKEN:
            return
        self._files, self._stats, self._facts, self._findings = files, stats, facts, findings

    def known(self) -> dict[str, FileStat]:
        """The stat of every file the last scan read whose content cannot have changed unseen since."""
        self._load()
        return dict(self._stats)

    def key(self, file: SourceFile) -> str:
        self._load()
        if file.stat is not None and self._stats.get(file.rel) == file.stat:
            return self._files[file.rel]  # unchanged since it was hashed: no need to read it
        h = hashlib.sha256(f"{VERSION}\0{self.kind}\0{file.rel}\0".encode())
        h.update(file.source)
        return h.hexdigest()

    def previous(self) -> dict[str, str]:
        """The previous scan's path -> key map ({} when there is none usable)."""
        self._load()
        return dict(self._files)

    def get(self, rel: str) -> Entry | None:
        """The previous scan's entry for `rel`; None when it has none or it cannot be read."""
        try:
            entry = Entry.load(self._facts[rel], self._findings.get(rel))
            self._check(entry.facts)
            return entry
        except _BROKEN:
            return None

    def save(
        self, files: Sequence[SourceFile], keys: dict[str, str], entries: Mapping[str, Entry], fresh: Iterable[str]
    ) -> None:
        """Store this scan; `fresh` names the entries computed now (the others are kept as read)."""
        fresh = set(fresh)
        settled = self._started_ns - RACY_NS
        stats = {f.rel: f.stat for f in files if f.stat is not None and max(f.stat[1], f.stat[2]) < settled}
        if keys == self._files and stats == self._stats and not fresh:
            return  # an unchanged rescan leaves the snapshot as it is
        facts: dict[str, Any] = {}
        findings: dict[str, str] = {}
        for rel in keys:
            entry = entries.get(rel)
            if entry is None or not entry.cacheable:
                continue
            if rel in fresh:
                facts[rel], text = entry.facts, entry.dump()
            elif rel in self._facts:
                facts[rel], text = self._facts[rel], self._findings.get(rel)
            else:
                continue
            if text is not None:
                findings[rel] = text
        _write(self.path, {"version": VERSION, "files": keys, "stats": stats, "facts": facts, "findings": findings})


def _stat(value: Any) -> FileStat:
    size, mtime, ctime, inode = (int(v) for v in value)
    return size, mtime, ctime, inode


def _write(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pydantic_core.to_json(data))  # twice as fast as json.dumps on a large snapshot
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache that cannot be written only costs speed next time


class Pipeline(Protocol):
    """One language's scan split per file, so that unchanged files can be left unread."""

    def full(self, files: Sequence[SourceFile]) -> dict[str, Entry]:
        """Every file's entry, from scratch."""
        ...

    def incremental(
        self, files: Sequence[SourceFile], unchanged: dict[str, Entry], changed: dict[str, Entry]
    ) -> dict[str, Entry] | None:
        """New entries for the `changed` files (given their previous entries), or None when reusing the
        `unchanged` ones is not provably safe."""
        ...


FullScans = Callable[[list[tuple[Pipeline, Sequence[SourceFile]]]], list[dict[str, Entry]]]
"""Runs several languages' full scans (together, so one set of worker processes can serve them all)."""


def extract_all(
    jobs: Sequence[tuple[Sequence[SourceFile], Pipeline, EntryStore | None]], full: FullScans
) -> list[Extraction]:
    """What each language's extractor returns for its files, reusing every stored entry the edits leave
    valid; the languages no stored entry can spare are scanned in full, all at once (`full`)."""
    planned: list[tuple[dict[str, str], tuple[dict[str, Entry], set[str]] | None]] = []
    with gc_paused():
        for files, pipeline, store in jobs:
            keys = {f.rel: store.key(f) for f in files} if store is not None else {}
            planned.append((keys, _reuse(files, keys, store, pipeline) if store is not None else None))
        needing = [i for i, (_, reused) in enumerate(planned) if reused is None]
        scanned = dict(zip(needing, full([(jobs[i][1], jobs[i][0]) for i in needing]), strict=True))
        out = []
        for i, (files, _, store) in enumerate(jobs):
            keys, reused = planned[i]
            entries, fresh = (scanned[i], set(scanned[i])) if reused is None else reused
            if store is not None:
                store.save(files, keys, entries, fresh)
            out.append(assemble(files, entries))
    return out


def _reuse(
    files: Sequence[SourceFile], keys: dict[str, str], store: EntryStore, pipeline: Pipeline
) -> tuple[dict[str, Entry], set[str]] | None:
    """Every file's entry and the names of those computed now; None when only a full scan is safe."""
    previous = store.previous()
    if set(previous) != set(keys):
        return None  # a file added or removed: every index and call link may move
    unchanged: dict[str, Entry] = {}
    changed: dict[str, Entry] = {}
    for f in files:
        entry = store.get(f.rel)
        if entry is None:
            return None
        (unchanged if previous[f.rel] == keys[f.rel] else changed)[f.rel] = entry
    if not changed:
        return unchanged, set()
    fresh = pipeline.incremental(files, unchanged, changed)
    return (unchanged | fresh, set(fresh)) if fresh is not None else None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading and applying a snapshot, and judging every file, allocate some 10^5..10^6 objects (tree nodes,
    values, specs), few of them garbage and none cyclic: letting the cyclic collector walk the whole heap again
    and again meanwhile cost a quarter of a rescan's time and a third of a full scan's, more in a process
    holding much else. It runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def stub_tables(specs: Iterable[ModuleSpec]) -> tuple[dict[str, ModuleSpec], dict[str, list[str]]]:
    """Every stub by id, and the ids of each (qualified) name: what call linking resolves against."""
    by_id = {spec.id: spec for spec in specs}
    by_name: dict[str, list[str]] = {}
    for spec in by_id.values():
        by_name.setdefault(spec.name, []).append(spec.id)
    return by_id, by_name


def stub_key(specs: Iterable[ModuleSpec]) -> set[tuple[str, bool]]:
    """What other files' results depend on: each finding's id, and whether it is a stub for its callers."""
    return {(s.id, s.confidence >= DELEGATION_CONFIDENCE) for s in specs}


def settle(
    pending: Sequence[P],
    specs: Sequence[ModuleSpec],
    hits: Callable[[P, dict[str, ModuleSpec], dict[str, list[str]]], list[str | None]],
    promote: Callable[[P], ModuleSpec],
) -> None:
    """Delegation, to a fixed point: a pending function whose calls all reach stubs becomes a finding
    (`promote`), and may in turn make its own callers stubs."""
    stubs = [s for s in specs if s.confidence >= DELEGATION_CONFIDENCE]
    left = list(pending)
    while left:
        by_id, by_name = stub_tables(stubs)
        ready = [p for p in left if all(hit is not None for hit in hits(p, by_id, by_name))]
        if not ready:
            return
        for item in ready:
            left.remove(item)
            spec = promote(item)
            if spec.confidence >= DELEGATION_CONFIDENCE:
                stubs.append(spec)


def link(
    found: Iterable[tuple[S, ModuleSpec]],
    targets: Callable[[S], Iterable[str | None]],
    failed: Callable[[ModuleSpec], None],
) -> None:
    """Set each stub's `calls` to the stub ids `targets` finds in its body; a body nested past Python's
    recursion limit keeps no calls (`failed` is told) rather than sinking the scan."""
    for site, spec in found:
        try:
            hits = {t for t in targets(site) if t is not None and t != spec.id}
        except RecursionError:
            hits = set()
            failed(spec)
        spec.calls = sorted(hits)


def assemble(files: Sequence[SourceFile], entries: Mapping[str, Entry]) -> Extraction:
    """The extractors' own output order: every file's own warnings, then every file's judging warnings."""
    out = Extraction()
    ordered = [(f.rel, entries[f.rel]) for f in files]
    made = ScanWarning.model_construct  # both fields are strings already: validating each costs more than the rest
    warnings = [made(path=rel, message=m) for rel, e in ordered for m in e.file_warnings]
    warnings += [made(path=rel, message=m) for rel, e in ordered for m in e.judge_warnings]
    out.warnings = list({(w.path, w.message): w for w in warnings}.values())
    out.modules = [spec for _, e in ordered for spec in e.specs]  # entries are built per scan, never shared
    out.functions = sum(int(e.facts.get("functions", 0)) for _, e in ordered)
    fill_called_by(out.modules)
    return out

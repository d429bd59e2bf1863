"""Incremental Python scanning: per-file results cached by content hash, so a rescan re-parses only edits.

The Python extractor judges each file against a repository-wide index, so a file's results depend on
the others only through (a) their index facts (classes, constants, imports) and (b) the set of stub ids
that calls are linked against. Each cache entry therefore holds, for one (extractor version, path,
content hash): the file's interface digest (a hash of exactly the text its index is built from), the
names it defines, its warnings and its finished specs. A rescan parses the changed files only; when
their interface digests and stub ids are unchanged, every other file's cached result still holds, and
the changed file is judged against a lazy index that parses another file only if resolution actually
reaches into it (a class or constant it imports or names). Anything else (a file added, removed or
changing its interface) falls back to a full, cache-refreshing scan.

Entries are JSON files under `cache_dir`, written atomically (temp file + rename) and versioned; an
unreadable, corrupt or stale entry is simply a miss. The scanned repository itself is never written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tree_sitter import Node, Parser, Tree

from agentforge.artifacts import ModuleSpec, ScanWarning
from agentforge.config import default_home
from agentforge.scan.extractor import Extraction, SourceFile, fill_called_by
from agentforge.scan.python.calls import _target, link_calls
from agentforge.scan.python.classes import ClassInfo
from agentforge.scan.python.extractor import _file_warnings, _judge
from agentforge.scan.python.index import FileIndex, ParsedFile, RepoIndex, _index_file
from agentforge.scan.python.modules import ModuleTable, absolute
from agentforge.scan.python.sites import Site
from agentforge.scan.python.syntax import new_parser, nodes_of, text

CACHE_FORMAT = 1


def _version() -> str:
    def of(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "?"

    return f"{CACHE_FORMAT}/agentforge-{of('agentforge')}/ts-{of('tree-sitter')}/ts-python-{of('tree-sitter-python')}"


VERSION = _version()
"""Any change to the format, agentforge or the grammar makes every old entry a miss."""


def default_cache_dir(root: Path) -> Path:
    """`$AGENTFORGE_HOME/scan-cache/<hash of the root path>`: outside the scanned repository, always."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:32]
    return default_home() / "scan-cache" / digest


def _parse(parser: Parser, source: bytes) -> Tree:
    """Every parse this module makes goes through here, so tests can count them."""
    return parser.parse(source)


@dataclass(slots=True)
class _Entry:
    digest: str
    classes: list[str]
    constants: list[str]
    file_warnings: list[str]
    judge_warnings: list[str]
    specs: list[ModuleSpec]

    def dump(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "digest": self.digest,
            "classes": self.classes,
            "constants": self.constants,
            "file_warnings": self.file_warnings,
            "judge_warnings": self.judge_warnings,
            "specs": [s.model_dump(mode="json", exclude={"called_by"}) for s in self.specs],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> _Entry:
        if data.get("version") != VERSION:
            raise ValueError("stale entry")
        return cls(
            digest=str(data["digest"]),
            classes=[str(c) for c in data["classes"]],
            constants=[str(c) for c in data["constants"]],
            file_warnings=[str(w) for w in data["file_warnings"]],
            judge_warnings=[str(w) for w in data["judge_warnings"]],
            specs=[ModuleSpec.model_validate(s) for s in data["specs"]],
        )


class ScanCache:
    """Entries stored one file per key (`files/<k[:2]>/<k>.json`), plus `snapshot.json`: the last scan's
    path -> key map with its entries inline, so a rescan reads one file rather than one per source file."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._snapshot: dict[str, Any] = {}
        self._raw: dict[str, Any] = {}
        self._previous: dict[str, str] = {}
        self._dirty = False
        """Every entry read or written in this scan, as stored: what the next snapshot holds."""

    @staticmethod
    def key(file: SourceFile) -> str:
        h = hashlib.sha256(VERSION.encode())
        h.update(b"\0" + file.rel.encode() + b"\0")
        h.update(file.source)
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / "files" / key[:2] / f"{key}.json"

    def get(self, key: str) -> _Entry | None:
        for where in ("snapshot", "file"):
            try:
                raw = self._snapshot[key] if where == "snapshot" else json.loads(self._path(key).read_text("utf-8"))
                entry = _Entry.load(raw)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):  # missing, corrupt or stale
                continue
            self._raw[key] = raw
            return entry
        return None

    def put(self, key: str, entry: _Entry) -> None:
        self._raw[key] = entry.dump()
        self._dirty = True
        self._write(self._path(key), self._raw[key])

    def manifest(self) -> dict[str, str]:
        """The previous scan's path -> key map ({} when there is none usable); loads its entries too."""
        try:
            data = json.loads((self.directory / "snapshot.json").read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                return {}
            files = {str(k): str(v) for k, v in data["files"].items()}
            self._snapshot = dict(data["entries"])
            self._previous = files
            return files
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def put_manifest(self, files: dict[str, str]) -> None:
        if files == self._previous and not self._dirty:
            return  # an unchanged rescan leaves the snapshot as it is
        entries = {k: self._raw[k] for k in files.values() if k in self._raw}
        self._write(self.directory / "snapshot.json", {"version": VERSION, "files": files, "entries": entries})

    @staticmethod
    def _write(path: Path, data: dict[str, Any]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(json.dumps(data))  # the C encoder: json.dump streams in pure Python
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a cache that cannot be written only costs speed next time


def _digest(index: FileIndex) -> str:
    """The text this file's index facts are read from; other files' results can only change with it."""
    facts = {
        "classes": {n: [text(i.node), i.bases, i.decorators] for n, i in index.classes.items()},
        "constants": {n: text(node) for n, node in index.constants.items()},
        "imports": {n: [i.module, i.name] for n, i in index.imports.items()},
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


class _LazyFiles(dict[str, FileIndex]):
    """File indexes that parse on first use, so judging one file parses only what it resolves into."""

    def __init__(self, rels: Sequence[str], sources: dict[str, bytes], parser: Parser) -> None:
        super().__init__()
        self._known = set(rels)
        self._sources = sources
        self._parser = parser
        self.trees: dict[str, ParsedFile] = {}

    def __missing__(self, rel: str) -> FileIndex:
        if rel not in self._known:
            raise KeyError(rel)
        parsed = ParsedFile(rel, self._sources[rel], _parse(self._parser, self._sources[rel]))
        self.trees[rel] = parsed
        self[rel] = _index_file(parsed)
        return self[rel]

    def get(self, rel: str, default: FileIndex | None = None) -> FileIndex | None:  # type: ignore[override]
        return self[rel] if rel in self._known else default


class _LazyIndex(RepoIndex):
    def __init__(self, rels: Sequence[str], files: _LazyFiles, facts: dict[str, tuple[list[str], list[str]]]) -> None:
        self.files = files
        self._kinds = {}
        self._modules = ModuleTable(rels)
        self._class_owner: dict[str, str] = {}
        self._constant_owner: dict[str, str] = {}
        for rel in rels:
            classes, constants = facts[rel]
            for name in classes:
                self._class_owner.setdefault(name, rel)
            for name in constants:
                self._constant_owner.setdefault(name, rel)

    def find_class(self, name: str, rel: str) -> ClassInfo | None:
        name, hit = self._lookup(name, rel, "classes")
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        owner = self._class_owner.get(name)
        return self.files[owner].classes.get(name) if owner is not None else None

    def find_constant(self, name: str, rel: str) -> Node | None:
        name, hit = self._lookup(name, rel, "constants")
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        owner = self._constant_owner.get(name)
        return self.files[owner].constants.get(name) if owner is not None else None

    def _lookup(self, name: str, rel: str, table: str) -> tuple[str, Any]:
        """`RepoIndex._find` without its eager first-definition tables: own file, then the import."""
        own = self.files.get(rel) or FileIndex()
        if name in getattr(own, table):
            return name, getattr(own, table)[name]
        imported = own.imports.get(name)
        if imported is not None and imported.name is not None:
            name = imported.name
            for path in self._modules.files(absolute(imported.module, rel)):
                if name in getattr(self.files[path], table):
                    return name, getattr(self.files[path], table)[name]
        return name, None


@dataclass(slots=True)
class _Judged:
    file_warnings: list[str] = field(default_factory=list)
    judge_warnings: list[str] = field(default_factory=list)
    found: dict[str, tuple[Site, ModuleSpec]] = field(default_factory=dict)


def _judge_file(parsed: ParsedFile, index: RepoIndex) -> _Judged:
    judged = _Judged(file_warnings=[w.message for w in _file_warnings(parsed)])
    warnings: list[ScanWarning] = []
    _judge(parsed, index, judged.found, warnings)
    judged.judge_warnings = [w.message for w in warnings]
    return judged


def extract_cached(files: Sequence[SourceFile], cache: ScanCache) -> Extraction:
    """What `PythonExtractor.extract(files)` returns, reusing every cached file the edits leave valid."""
    keys = {f.rel: cache.key(f) for f in files}
    entries = _incremental(files, keys, cache)
    if entries is None:
        entries = _full(files, keys, cache)
    cache.put_manifest(keys)
    return _assemble(files, entries)


def _incremental(files: Sequence[SourceFile], keys: dict[str, str], cache: ScanCache) -> dict[str, _Entry] | None:
    previous = cache.manifest()
    if set(previous) != set(keys):
        return None
    entries: dict[str, _Entry] = {}
    changed: dict[str, _Entry] = {}  # the changed files' previous entries
    for f in files:
        entry = cache.get(keys[f.rel])
        old = entry if entry is not None else cache.get(previous[f.rel])
        if old is None:
            return None
        if entry is not None:
            entries[f.rel] = entry
        else:
            changed[f.rel] = old
    if not changed:
        return entries
    rels = [f.rel for f in files]
    lazy = _LazyFiles(rels, {f.rel: f.source for f in files}, new_parser())
    for rel in changed:
        if _digest(lazy[rel]) != changed[rel].digest:
            return None
    facts = {rel: (e.classes, e.constants) for rel, e in (entries | changed).items()}
    index = _LazyIndex(rels, lazy, facts)
    judged = {rel: _judge_file(lazy.trees[rel], index) for rel in changed}
    for rel, j in judged.items():
        if set(j.found) != {s.id for s in changed[rel].specs}:
            return None  # stubs appeared or vanished: other files' call links may change
    by_id = {s.id: s for e in entries.values() for s in e.specs}
    by_id.update((spec.id, spec) for j in judged.values() for _, spec in j.found.values())
    by_qualname: dict[str, list[str]] = {}
    for spec in by_id.values():
        by_qualname.setdefault(spec.name, []).append(spec.id)
    for rel, j in judged.items():
        for site, spec in j.found.values():
            targets = {_target(c, site, index, by_id, by_qualname) for c in nodes_of("call", site.body)}
            spec.calls = sorted(t for t in targets if t is not None and t != spec.id)
        entry = _entry(lazy[rel], j)
        cache.put(keys[rel], entry)
        entries[rel] = entry
    return entries


def _full(files: Sequence[SourceFile], keys: dict[str, str], cache: ScanCache) -> dict[str, _Entry]:
    parser = new_parser()
    parsed = [ParsedFile(f.rel, f.source, _parse(parser, f.source)) for f in files]
    index = RepoIndex(parsed)
    judged = {p.rel: _judge_file(p, index) for p in parsed}
    link_calls([pair for j in judged.values() for pair in j.found.values()], index)
    entries = {}
    for p in parsed:
        entries[p.rel] = _entry(index.files[p.rel], judged[p.rel])
        cache.put(keys[p.rel], entries[p.rel])
    return entries


def _entry(file_index: FileIndex, judged: _Judged) -> _Entry:
    return _Entry(
        digest=_digest(file_index),
        classes=list(file_index.classes),
        constants=list(file_index.constants),
        file_warnings=judged.file_warnings,
        judge_warnings=judged.judge_warnings,
        specs=[spec for _, spec in judged.found.values()],  # owned from here on; `_assemble` redoes called_by
    )


def _assemble(files: Sequence[SourceFile], entries: dict[str, _Entry]) -> Extraction:
    """The extractor's own output order: every file's own warnings, then every file's judging warnings."""
    out = Extraction()
    ordered = [entries[f.rel] for f in files]
    warnings = [
        ScanWarning(path=f.rel, message=m) for f, e in zip(files, ordered, strict=True) for m in e.file_warnings
    ]
    warnings += [
        ScanWarning(path=f.rel, message=m) for f, e in zip(files, ordered, strict=True) for m in e.judge_warnings
    ]
    out.warnings = list({(w.path, w.message): w for w in warnings}.values())
    out.modules = [spec for e in ordered for spec in e.specs]  # entries are built per call, never shared
    fill_called_by(out.modules)
    return out

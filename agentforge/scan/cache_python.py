"""The Python scan split per file (see `cache.py`), so a rescan re-parses only the edited files.

A Python file's result depends on the others only through (a) their index facts (classes, constants,
imports) and (b) the set of stub ids calls are linked against. An entry's facts are its interface digest
(a hash of exactly the text its index is built from), the names it defines and the kind of each of its
classes that is not plain. When a changed file's digest and stub ids are unchanged, every other entry still
holds, and the changed file is judged against a lazy index that parses another file only if resolution
actually reaches into it (a class or constant it imports or names): a class's kind is read from the facts,
so the files its bases come from are not parsed to learn that a method's class is a model or a protocol.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node, Parser

import agentforge.scan.cache as store
from agentforge.artifacts import ModuleSpec
from agentforge.scan.budget import FileClock, judge_sites
from agentforge.scan.cache import Entry, link, settle, stub_key, stub_tables
from agentforge.scan.extractor import Detection, SourceFile
from agentforge.scan.python.calls import _target, call_ref, resolve
from agentforge.scan.python.classes import ClassInfo, ClassKind
from agentforge.scan.python.detect import delegated, new_judge
from agentforge.scan.python.extractor import file_warnings
from agentforge.scan.python.index import FileIndex, ParsedFile, RepoIndex, _index_file
from agentforge.scan.python.literals import Static
from agentforge.scan.python.modules import ModuleTable, absolute
from agentforge.scan.python.sites import Site, sites
from agentforge.scan.python.spec import build_spec
from agentforge.scan.python.syntax import definition, last_name, new_parser, nodes_of, text
from agentforge.scan.scoring import CANDIDATE_CONFIDENCE
from agentforge.scan.split import TOO_DEEP_TO_LINK, Delegation, Judgement, guarded_refs, refs_of


def check_facts(facts: dict[str, Any]) -> None:
    """Raises unless `facts` has the shape `_entry` writes (a hand-edited cache must not crash a scan)."""
    if not isinstance(facts["digest"], str) or not all(
        isinstance(n, str) for n in facts["classes"] + facts["constants"] + facts["bases"] + list(facts["kinds"])
    ):
        raise TypeError("facts")
    for kind in facts["kinds"].values():
        ClassKind(kind)  # raises ValueError on a kind this version does not know


def _digest(index: FileIndex) -> str:
    """The text this file's index facts are read from; other files' results can only change with it."""
    facts = {
        "classes": {n: [_interface(i), i.bases, i.decorators] for n, i in index.classes.items()},
        "constants": {n: text(node) for n, node in index.constants.items()},
        "imports": {n: [i.module, i.name] for n, i in index.imports.items()},
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def _interface(info: ClassInfo) -> str:
    """What other files read of a class: its header (name, bases, keywords) and the statements of its body but
    its methods (docstring, fields, enum members). A method is read only by its own file's judging, so an edit
    inside one leaves other files' results alone and the rescan stays incremental."""
    raw, body = info.node.text or b"", info.node.child_by_field_name("body")
    header = raw[: body.start_byte - info.node.start_byte] if body is not None else raw
    kept = [text(s) for s in info.body if definition(s).type != "function_definition"]
    return "\n".join([header.decode("utf-8", errors="replace"), *kept])


class _LazyFiles(dict[str, FileIndex]):
    """File indexes that parse on first use, so judging one file parses only what it resolves into."""

    def __init__(self, rels: Sequence[str], files: dict[str, SourceFile], parser: Parser) -> None:
        super().__init__()
        self._known = set(rels)
        self._files = files
        self._parser = parser
        self.trees: dict[str, ParsedFile] = {}
        self.parse_seconds: dict[str, float] = {}

    def __missing__(self, rel: str) -> FileIndex:
        if rel not in self._known:
            raise KeyError(rel)
        started = time.perf_counter()
        source = self._files[rel].source
        parsed = ParsedFile(rel, source, store._parse(self._parser, source))
        self.parse_seconds[rel] = time.perf_counter() - started
        self.trees[rel] = parsed
        self[rel] = _index_file(parsed)
        return self[rel]

    def get(self, rel: str, default: FileIndex | None = None) -> FileIndex | None:  # type: ignore[override]
        return self[rel] if rel in self._known else default


class _LazyIndex(RepoIndex):
    def __init__(self, rels: Sequence[str], files: _LazyFiles, facts: dict[str, _Names]) -> None:
        self.files = files
        self._kinds = {}
        self._modules = ModuleTable(rels)
        self._class_owner: dict[str, str] = {}
        self._constant_owner: dict[str, str] = {}
        self._subclassed = {base for rel in rels for base in facts[rel][2]}
        self._stored_kinds = {rel: facts[rel][3] for rel in rels}
        for rel in rels:
            classes, constants, _, _ = facts[rel]
            for name in classes:
                self._class_owner.setdefault(name, rel)
            for name in constants:
                self._constant_owner.setdefault(name, rel)

    def module_files(self, module: str) -> list[str]:
        return self._modules.files(module)

    def kind(self, info: ClassInfo) -> ClassKind:
        """A top-level class's kind as the facts stored it (when they hold kinds): its bases' files stay
        unparsed. A nested class, or one a later definition of the same name shadows, is worked out."""
        stored = self._stored_kinds.get(info.rel)
        if stored is not None:
            indexed = self.files[info.rel].classes.get(info.name)
            if indexed is not None and indexed.key == info.key:
                return ClassKind(stored.get(info.name, ClassKind.PLAIN))
        return super().kind(info)

    def is_class(self, name: str, rel: str) -> bool:
        """`RepoIndex.is_class` from the stored names alone: no other file is parsed to answer it."""
        own = self.files.get(rel) or FileIndex()
        if name in own.classes:
            return True
        imported = own.imports.get(name)
        return (imported.name if imported is not None and imported.name else name) in self._class_owner

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
        """`RepoIndex._find` without its eager first-definition tables: own file, then the import. A name no
        file defines (by the stored names) is answered without parsing the file it is imported from."""
        own = self.files.get(rel) or FileIndex()
        if name in getattr(own, table):
            return name, getattr(own, table)[name]
        imported = own.imports.get(name)
        if imported is not None and imported.name is not None:
            name = imported.name
            owners = self._class_owner if table == "classes" else self._constant_owner
            if name not in owners:
                return name, None
            for path in self._modules.files(absolute(imported.module, rel)):
                if name in getattr(self.files[path], table):
                    return name, getattr(self.files[path], table)[name]
        return name, None


@dataclass(slots=True)
class _Judged:
    parsed: ParsedFile
    file_warnings: list[str] = field(default_factory=list)
    judge_warnings: list[str] = field(default_factory=list)
    found: dict[str, tuple[Site, ModuleSpec]] = field(default_factory=dict)
    pending: dict[str, tuple[Site, Detection[Static]]] = field(default_factory=dict)
    """Functions whose every answer is another function's: stubs once those are known to be."""
    functions: int = 0
    complete: bool = True


def _judge_file(parsed: ParsedFile, index: RepoIndex, clock: FileClock) -> _Judged:
    """Every function of one file, judged under the file's budget."""
    judged = _Judged(
        parsed, file_warnings=[w.message for w in file_warnings(parsed.rel, parsed.source, parsed.tree.root_node)]
    )
    warn = judged.judge_warnings.append
    found, functions = sites(parsed.rel, parsed.tree.root_node, index)
    judge_one = new_judge(functions, index, parsed.source)

    def judge(site: Site) -> None:
        judged.functions += 1
        detection = judge_one.detect(site) if not site.node.has_error else None
        if detection is None:
            return
        module_id = f"{parsed.rel}::{site.qualname}"
        if module_id in judged.found or module_id in judged.pending:
            warn(f"{module_id} is defined twice; the later definition wins")
            judged.found.pop(module_id, None)
            judged.pending.pop(module_id, None)
        if detection.pending:
            judged.pending[module_id] = (site, detection)
            return
        if detection.confidence >= CANDIDATE_CONFIDENCE:
            judged.found[module_id] = (site, build_spec(site, detection, index, parsed.source, warn))

    def label(site: Site) -> str:
        return f"{parsed.rel}::{site.qualname}"

    judged.complete = judge_sites(found, judge, label, warn, clock)
    if not judged.complete:
        judged.judge_warnings, judged.found, judged.pending = [clock.message()], {}, {}
    return judged


class PythonPipeline:
    def __init__(self, *, max_file_seconds: float | None, keep_facts: bool) -> None:
        self.limit = max_file_seconds
        self.keep_facts = keep_facts
        """Whether entries will be stored: their interface digests cost time an uncached scan can skip."""
        self._lazy = _new_lazy(())
        """The files parsed so far, across the steps of a split scan (`parallel.py`)."""

    def full(self, files: Sequence[SourceFile]) -> dict[str, Entry]:
        parser = new_parser()
        parsed: list[ParsedFile] = []
        spent: dict[str, float] = {}
        for f in files:
            started = time.perf_counter()
            parsed.append(ParsedFile(f.rel, f.source, store._parse(parser, f.source)))
            spent[f.rel] = time.perf_counter() - started
        index = RepoIndex(parsed)
        judged = {p.rel: _judge_file(p, index, FileClock(self.limit, spent[p.rel])) for p in parsed}
        _settle(judged, judged, index)
        _link(judged, judged, index)
        return {p.rel: self._entry(index.files[p.rel], judged[p.rel], index) for p in parsed}

    def incremental(
        self, files: Sequence[SourceFile], unchanged: dict[str, Entry], changed: dict[str, Entry]
    ) -> dict[str, Entry] | None:
        lazy = self._lazy = _new_lazy(files)
        for rel in changed:
            if _digest(lazy[rel]) != changed[rel].facts["digest"]:
                return None
        index = _lazy_index(files, lazy, {rel: e.facts for rel, e in (unchanged | changed).items()})
        judged = {rel: self._judge(rel, index) for rel in changed}
        every = {f.rel: judged[f.rel] if f.rel in judged else unchanged[f.rel] for f in files}
        _settle(judged, every, index)
        for rel, j in judged.items():
            if not j.complete or stub_key(s for _, s in j.found.values()) != stub_key(changed[rel].specs):
                return None  # stubs appeared, vanished or crossed the delegation line: other files may change
        _link(judged, every, index)
        return {rel: self._entry(lazy[rel], j, index) for rel, j in judged.items()}

    def index(self, files: Sequence[SourceFile], own: Sequence[str]) -> dict[str, dict[str, Any]]:
        self._lazy = _new_lazy(files)
        return {rel: self._facts(self._lazy[rel]) for rel in own}

    def judge(self, files: Sequence[SourceFile], facts: Mapping[str, dict[str, Any]], own: Sequence[str]) -> Judgement:
        index = _lazy_index(files, self._lazy, facts)

        def calls(site: Site) -> list[Any]:
            return [call_ref(c, site, index) for c in _calls(site)]

        out = Judgement({})
        for rel in own:
            j = self._judge(rel, index)
            out.entries[rel] = self._entry(self._lazy[rel], j, index)
            out.refs[rel] = refs_of(j.found.values(), calls)
            for site, detection in j.pending.values():
                warnings: list[str] = []
                spec = build_spec(site, delegated(detection), index, j.parsed.source, warnings.append)
                hits = [call_ref(c, site, index) for c in detection.pending]
                out.pending.append(Delegation(rel, hits, spec, warnings, guarded_refs(site, calls)))
        return out

    @staticmethod
    def resolve(ref: Any, by_id: dict[str, ModuleSpec], by_name: dict[str, list[str]]) -> str | None:
        return resolve(ref, by_id, by_name)

    def _judge(self, rel: str, index: RepoIndex) -> _Judged:
        self._lazy[rel]  # parsed (and timed) here unless an earlier step already needed it
        return _judge_file(self._lazy.trees[rel], index, FileClock(self.limit, self._lazy.parse_seconds[rel]))

    def _facts(self, file_index: FileIndex, index: RepoIndex | None = None) -> dict[str, Any]:
        """What other files' judging reads of this one; with the repository's `index` (when entries are
        stored), the kind of each class that is not plain too."""
        kinds = None
        if index is not None and self.keep_facts:
            kinds = {n: str(k) for n, i in file_index.classes.items() if (k := index.kind(i)) is not ClassKind.PLAIN}
        return {
            "digest": _digest(file_index) if self.keep_facts else "",
            "classes": list(file_index.classes),
            "bases": sorted({last_name(b) for info in file_index.classes.values() for b in info.bases}),
            "constants": list(file_index.constants),
            "kinds": kinds,
        }

    def _entry(self, file_index: FileIndex, judged: _Judged, index: RepoIndex) -> Entry:
        return Entry(
            facts=self._facts(file_index, index) | {"functions": judged.functions},
            file_warnings=judged.file_warnings,
            judge_warnings=judged.judge_warnings,
            specs=[spec for _, spec in judged.found.values()],
            cacheable=judged.complete,
        )


def _new_lazy(files: Sequence[SourceFile]) -> _LazyFiles:
    return _LazyFiles([f.rel for f in files], {f.rel: f for f in files}, new_parser())


def _lazy_index(files: Sequence[SourceFile], lazy: _LazyFiles, facts: Mapping[str, dict[str, Any]]) -> _LazyIndex:
    """The index from every file's stored facts: a file is parsed only when resolution reaches into it.
    Facts handed between the processes of a split scan, or of an uncached scan, hold no kinds (None): those
    are then worked out."""
    names = {rel: (f["classes"], f["constants"], f["bases"], f["kinds"]) for rel, f in facts.items()}
    return _LazyIndex([f.rel for f in files], lazy, names)


_Names = tuple[list[str], list[str], list[str], dict[str, str] | None]
"""A file's class names, constant names, base-class names, and its stored class kinds (None: work them out)."""


def _specs(every: Mapping[str, _Judged | Entry]) -> list[ModuleSpec]:
    return [s for j in every.values() for s in (j.specs if isinstance(j, Entry) else [s for _, s in j.found.values()])]


def _settle(judged: dict[str, _Judged], every: Mapping[str, _Judged | Entry], index: RepoIndex) -> None:
    """Turn the pending functions of `judged` whose calls all reach stubs (of `every` file) into findings."""
    items = [(j, site, detection) for j in judged.values() for site, detection in j.pending.values()]

    def hits(item: _Pending, by_id: dict[str, ModuleSpec], by_qualname: dict[str, list[str]]) -> list[str | None]:
        _, site, detection = item
        return [_target(call, site, index, by_id, by_qualname) for call in detection.pending]

    def promote(item: _Pending) -> ModuleSpec:
        j, site, detection = item
        spec = build_spec(site, delegated(detection), index, j.parsed.source, j.judge_warnings.append)
        j.found[spec.id] = (site, spec)
        return spec

    settle(items, _specs(every), hits, promote)


_Pending = tuple[_Judged, Site, Detection[Static]]


def _link(judged: dict[str, _Judged], every: Mapping[str, _Judged | Entry], index: RepoIndex) -> None:
    """Link the stubs of `judged` against the stubs of `every` file (both in file order)."""
    by_id, by_qualname = stub_tables(_specs(every))
    for j in judged.values():

        def targets(site: Site) -> set[str | None]:
            return {resolve(call_ref(c, site, index), by_id, by_qualname) for c in _calls(site)}

        def failed(spec: ModuleSpec, j: _Judged = j) -> None:
            j.judge_warnings.append(f"{spec.id}: {TOO_DEEP_TO_LINK}")

        link(j.found.values(), targets, failed)


def _calls(site: Site) -> list[Node]:
    return nodes_of("call", site.body)

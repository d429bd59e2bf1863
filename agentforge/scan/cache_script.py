"""The JavaScript / TypeScript scan split per file (see `cache.py`), so a rescan re-parses only the edits.

In `ScriptExtractor.extract` a file's result depends on the others only through the cross-file `TypeIndex`
(type names -> declarations, JSDoc `@typedef`s) and call linking (the stub names of every file, read
through the file's own imports). An entry's facts are therefore the digest of the declarations the file
adds to the index, their names, and its typedefs (plain strings, merged without parsing). When a changed
file's digest and stub ids are unchanged, every other entry still holds, and the changed file is judged
against an index whose declarations are read lazily: only the files its types resolve into are parsed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from tree_sitter import Language, Node, Parser

import agentforge.scan.cache as store
from agentforge.artifacts import ModuleSpec
from agentforge.scan.budget import FileClock, judge_sites
from agentforge.scan.cache import Entry, link, settle, stub_key, stub_tables
from agentforge.scan.extractor import Detection, SourceFile, first_error_line
from agentforge.scan.javascript.detect import delegated, new_judge
from agentforge.scan.javascript.extractor import ScriptExtractor, _target, call_ref, resolve
from agentforge.scan.javascript.sites import FileFacts, Site, facts, sites
from agentforge.scan.javascript.syntax import Static, descendants, grammar_for, text
from agentforge.scan.javascript.types import TypeIndex
from agentforge.scan.scoring import CANDIDATE_CONFIDENCE
from agentforge.scan.split import TOO_DEEP_TO_LINK, Delegation, Judgement, guarded_refs, refs_of

Typedefs = dict[str, list[tuple[str, str, bool]]]


def check_facts(facts: dict[str, Any]) -> None:
    """Raises unless `facts` has the shape `_entry` writes (a hand-edited cache must not crash a scan)."""
    _typedefs(facts)
    if not isinstance(facts["digest"], str) or not all(isinstance(n, str) for n in facts["decls"]):
        raise TypeError("facts")


def _typedefs(facts: dict[str, Any]) -> Typedefs:
    return {str(name): [(str(p), str(k), bool(o)) for p, k, o in props] for name, props in facts["typedefs"].items()}


def _digest(types: TypeIndex) -> str:
    """What this file adds to the type index: each declaration's text and tree, and its typedefs. Other
    files' schemas can only change with it."""
    decls = {name: [text(node), str(node)] for name, node in types.decls.items()}
    return hashlib.sha256(json.dumps([decls, types.typedefs], sort_keys=True).encode()).hexdigest()


class _LazyDecls(dict[str, Node]):
    """Declarations by name, each read from its (last) declaring file on first use."""

    def __init__(self, owners: dict[str, str], load: Callable[[str], TypeIndex]) -> None:
        super().__init__()
        self._owners = owners
        self._load = load

    def __missing__(self, name: str) -> Node:
        node = self._load(self._owners[name]).decls[name]
        self[name] = node
        return node

    def __contains__(self, name: object) -> bool:
        return name in self._owners

    def get(self, name: str, default: Node | None = None) -> Node | None:  # type: ignore[override]
        return self[name] if name in self._owners else default


@dataclass(slots=True)
class _Parsed:
    file: SourceFile
    root: Node
    types: TypeIndex
    seconds: float
    """How long parsing and indexing took: the start of the file's time budget."""


@dataclass(slots=True)
class _Judged:
    facts: FileFacts
    parsed: _Parsed
    file_warnings: list[str] = field(default_factory=list)
    judge_warnings: list[str] = field(default_factory=list)
    found: dict[str, tuple[Site, ModuleSpec]] = field(default_factory=dict)
    pending: dict[str, tuple[Site, Detection[Static]]] = field(default_factory=dict)
    """Functions whose every answer is another function's: stubs once those are known to be."""
    functions: int = 0
    complete: bool = True


class ScriptPipeline:
    def __init__(self, extractor: ScriptExtractor, *, max_file_seconds: float | None, keep_facts: bool) -> None:
        self.extractor = extractor
        self.limit = max_file_seconds
        self.keep_facts = keep_facts
        """Whether entries will be stored: their digests cost time an uncached scan can skip."""
        self._parsers: dict[Language, Parser] = {}
        self._by_rel: dict[str, SourceFile] = {}
        self._loaded: dict[str, _Parsed] = {}
        """The files parsed so far, across the steps of an incremental or split scan (`parallel.py`)."""

    def _parse(self, file: SourceFile) -> _Parsed:
        started = time.perf_counter()
        grammar = grammar_for(file.rel)
        parser = self._parsers.get(grammar) or self._parsers.setdefault(grammar, Parser(grammar))
        root = store._parse(parser, file.source).root_node
        types = TypeIndex()
        types.add_file(root)
        return _Parsed(file, root, types, time.perf_counter() - started)

    def full(self, files: Sequence[SourceFile]) -> dict[str, Entry]:
        parsed = [self._parse(f) for f in files]
        types = TypeIndex()
        for p in parsed:  # `TypeIndex.add_file` file by file: a later duplicate wins
            types.decls.update(p.types.decls)
            types.typedefs.update(p.types.typedefs)
        judged = {p.file.rel: self._judge(p, types) for p in parsed}
        self._settle(judged, judged, types)
        _link(judged, judged)
        return {p.file.rel: self._entry(p, judged[p.file.rel]) for p in parsed}

    def incremental(
        self, files: Sequence[SourceFile], unchanged: dict[str, Entry], changed: dict[str, Entry]
    ) -> dict[str, Entry] | None:
        self._start(files)
        loaded = {rel: self._loaded_file(rel) for rel in changed}
        for rel, p in loaded.items():
            if _digest(p.types) != changed[rel].facts["digest"]:
                return None  # its declarations changed: other files' schemas may too
        types = self._lazy_types(files, {f.rel: (unchanged.get(f.rel) or changed[f.rel]).facts for f in files})
        judged = {rel: self._judge(loaded[rel], types) for rel in changed}
        every = {f.rel: judged[f.rel] if f.rel in judged else unchanged[f.rel] for f in files}
        self._settle(judged, every, types)
        for rel, j in judged.items():
            if not j.complete or stub_key(s for _, s in j.found.values()) != stub_key(changed[rel].specs):
                return None  # stubs appeared, vanished or crossed the delegation line: other files may change
        _link(judged, every)
        return {rel: self._entry(loaded[rel], j) for rel, j in judged.items()}

    def index(self, files: Sequence[SourceFile], own: Sequence[str]) -> dict[str, dict[str, Any]]:
        self._start(files)
        return {rel: self._facts(self._loaded_file(rel)) for rel in own}

    def judge(self, files: Sequence[SourceFile], facts: Mapping[str, dict[str, Any]], own: Sequence[str]) -> Judgement:
        types = self._lazy_types(files, facts)
        out = Judgement({})
        for rel in own:
            parsed = self._loaded_file(rel)
            j = self._judge(parsed, types)
            out.entries[rel] = self._entry(parsed, j)
            calls = partial(_call_refs, file=j.facts)
            out.refs[rel] = refs_of(j.found.values(), calls)
            for site, detection in j.pending.values():
                warnings: list[str] = []
                spec = self.extractor._spec(site, delegated(detection), types, parsed.file.source, warnings.append)
                hits = [call_ref(_callee(call), site, j.facts) for call in detection.pending]
                out.pending.append(Delegation(rel, hits, spec, warnings, guarded_refs(site, calls)))
        return out

    @staticmethod
    def resolve(ref: Any, by_id: dict[str, ModuleSpec], by_name: dict[str, list[str]]) -> str | None:
        return resolve(ref, by_id, by_name)

    def _start(self, files: Sequence[SourceFile]) -> None:
        self._by_rel = {f.rel: f for f in files}
        self._loaded = {}

    def _loaded_file(self, rel: str) -> _Parsed:
        """The file parsed and indexed, once per scan."""
        if rel not in self._loaded:
            self._loaded[rel] = self._parse(self._by_rel[rel])
        return self._loaded[rel]

    def _lazy_types(self, files: Sequence[SourceFile], facts: Mapping[str, dict[str, Any]]) -> TypeIndex:
        """The type index from every file's stored facts: a declaring file is parsed only when a type
        resolves into it (a later declaration of a name wins, as in `TypeIndex.add_file`)."""
        owners: dict[str, str] = {}
        typedefs: Typedefs = {}
        for f in files:
            owners.update((name, f.rel) for name in facts[f.rel]["decls"])
            typedefs.update(_typedefs(facts[f.rel]))
        return TypeIndex(decls=_LazyDecls(owners, lambda rel: self._loaded_file(rel).types), typedefs=typedefs)

    def _facts(self, parsed: _Parsed) -> dict[str, Any]:
        return {
            "digest": _digest(parsed.types) if self.keep_facts else "",
            "decls": list(parsed.types.decls),
            "typedefs": parsed.types.typedefs,
        }

    def _judge(self, parsed: _Parsed, types: TypeIndex) -> _Judged:
        """`ScriptExtractor.extract` for one file, function by function under the file's budget."""
        rel, root = parsed.file.rel, parsed.root
        judged = _Judged(facts(rel, root), parsed)
        if root.has_error:
            line = first_error_line(root)
            judged.file_warnings.append(f"syntax error near line {line}; definitions in the broken region are skipped")
        warn = judged.judge_warnings.append
        found, functions = sites(rel, root)
        judge_one = new_judge(functions, judged.facts)

        def judge(site: Site) -> None:
            judged.functions += 1
            detection = judge_one.detect(site) if not site.outer.has_error else None
            if detection is None:
                return
            module_id = f"{rel}::{site.name}"
            judged.found.pop(module_id, None)
            judged.pending.pop(module_id, None)
            if detection.pending:
                judged.pending[module_id] = (site, detection)
            elif detection.confidence >= CANDIDATE_CONFIDENCE:
                judged.found[module_id] = (site, self.extractor._spec(site, detection, types, parsed.file.source, warn))

        def label(site: Site) -> str:
            return f"{rel}::{site.name}"

        clock = FileClock(self.limit, parsed.seconds)
        judged.complete = judge_sites(found, judge, label, warn, clock)
        if not judged.complete:
            judged.judge_warnings, judged.found, judged.pending = [clock.message()], {}, {}
        return judged

    def _settle(self, judged: dict[str, _Judged], every: Mapping[str, _Judged | Entry], types: TypeIndex) -> None:
        """Turn the pending functions of `judged` whose calls all reach stubs (of `every` file) into findings."""
        items = [(j, site, detection) for j in judged.values() for site, detection in j.pending.values()]

        def hits(item: _Pending, by_id: dict[str, ModuleSpec], by_name: dict[str, list[str]]) -> list[str | None]:
            j, site, detection = item
            return [_target(_callee(call), site, j.facts, by_id, by_name) for call in detection.pending]

        def promote(item: _Pending) -> ModuleSpec:
            j, site, detection = item
            source = j.parsed.file.source
            spec = self.extractor._spec(site, delegated(detection), types, source, j.judge_warnings.append)
            j.found[spec.id] = (site, spec)
            return spec

        specs = [
            s for e in every.values() for s in (e.specs if isinstance(e, Entry) else [s for _, s in e.found.values()])
        ]
        settle(items, specs, hits, promote)

    def _entry(self, parsed: _Parsed, judged: _Judged) -> Entry:
        return Entry(
            facts=self._facts(parsed) | {"functions": judged.functions},
            file_warnings=judged.file_warnings,
            judge_warnings=judged.judge_warnings,
            specs=[spec for _, spec in judged.found.values()],
            cacheable=judged.complete,
        )


_Pending = tuple[_Judged, Site, Detection[Static]]


def _callee(call: Node) -> str:
    fn = call.child_by_field_name("function")
    return text(fn) if fn is not None else ""


def _link(judged: dict[str, _Judged], every: Mapping[str, _Judged | Entry]) -> None:
    """`extractor._link_calls` for the stubs of `judged`, against the stubs of `every` file (in file order)."""
    specs = [s for j in every.values() for s in (j.specs if isinstance(j, Entry) else [s for _, s in j.found.values()])]
    by_id, by_name = stub_tables(specs)
    for j in judged.values():

        def targets(site: Site, file: FileFacts = j.facts) -> list[str | None]:
            return [resolve(call_ref(name, site, file), by_id, by_name) for name in _callees(site)]

        def failed(spec: ModuleSpec, j: _Judged = j) -> None:
            j.judge_warnings.append(f"{spec.id}: {TOO_DEEP_TO_LINK}")

        link(j.found.values(), targets, failed)


def _call_refs(site: Site, file: FileFacts) -> list[Any]:
    return [call_ref(name, site, file) for name in _callees(site)]


def _callees(site: Site) -> list[str]:
    """What each call in the body calls, as written."""
    calls = (n.child_by_field_name("function") for n in descendants(site.body) if n.type == "call_expression")
    return [text(fn) for fn in calls if fn is not None]

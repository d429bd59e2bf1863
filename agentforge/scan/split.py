"""What one process of a split full scan (`parallel.py`) hands back, and how the first one finishes it.

Delegation and call links are the only results that depend on other files' findings. So a process judging
some files returns, beside their entries, everything those two need as plain data: each finding's calls as
language-specific refs (resolvable without a tree), and each delegating function's calls, its spec as it
will read once promoted and the warnings building it gave. The finishing process settles and links from
that data alone, without parsing or judging any file again, in the order a one-process scan would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentforge.artifacts import ModuleSpec
from agentforge.scan.cache import Entry, link, settle, stub_tables
from agentforge.scan.extractor import SourceFile

Refs = list[Any] | None
"""A function's calls as plain data (its language's `call_ref`s), None when its body was nested too deeply
to walk."""
Resolve = Callable[[Any, dict[str, ModuleSpec], dict[str, list[str]]], str | None]
"""A language's `resolve`: the stub a call ref reaches, given every stub by id and by name."""

TOO_DEEP_TO_LINK = "calls nested too deeply to follow; none are linked"


@dataclass(slots=True)
class Delegation:
    """A function whose every answer is another function's, judged in another process."""

    rel: str
    hits: list[Any]
    """The refs of the calls its answers come from: it is a stub once all reach stubs."""
    spec: ModuleSpec
    """Its finding, as promotion builds it."""
    warnings: list[str]
    """What building that finding warned about."""
    refs: Refs
    """Its calls, for linking once promoted."""


@dataclass(slots=True)
class Judgement:
    """Some files judged in one process of a split scan, before delegation and linking."""

    entries: dict[str, Entry]
    refs: dict[str, dict[str, Refs]] = field(default_factory=dict)
    """Each finding's calls, by file and id."""
    pending: list[Delegation] = field(default_factory=list)
    """The delegating functions, in file order."""

    def merge(self, other: Judgement) -> None:
        self.entries.update(other.entries)
        self.refs.update(other.refs)
        self.pending += other.pending


def refs_of(found: Iterable[tuple[Any, ModuleSpec]], calls: Callable[[Any], list[Any]]) -> dict[str, Refs]:
    """Each finding's call refs, by id (None for one nested past Python's recursion limit)."""
    return {spec.id: guarded_refs(site, calls) for site, spec in found}


def guarded_refs(site: Any, calls: Callable[[Any], list[Any]]) -> Refs:
    try:
        return calls(site)
    except RecursionError:
        return None


def finish(files: Sequence[SourceFile], done: Judgement, resolve: Resolve) -> dict[str, Entry]:
    """Every file's entry, delegation settled and calls linked as `cache.settle` and `cache.link` would."""
    order = {f.rel: i for i, f in enumerate(files)}
    pending = sorted(done.pending, key=lambda d: order[d.rel])  # stable: a file's own order is kept

    def hits(item: Delegation, by_id: dict[str, ModuleSpec], by_name: dict[str, list[str]]) -> list[str | None]:
        return [resolve(ref, by_id, by_name) for ref in item.hits]

    def promote(item: Delegation) -> ModuleSpec:
        entry = done.entries[item.rel]
        entry.specs.append(item.spec)
        entry.judge_warnings += item.warnings
        done.refs.setdefault(item.rel, {})[item.spec.id] = item.refs
        return item.spec

    settle(pending, _specs(files, done), hits, promote)
    by_id, by_name = stub_tables(_specs(files, done))

    def targets(refs: Refs) -> list[str | None]:
        if refs is None:  # the walk hit the recursion limit where it ran: `link` is told the same way
            raise RecursionError
        return [resolve(ref, by_id, by_name) for ref in refs]

    for f in files:
        entry = done.entries[f.rel]

        def failed(spec: ModuleSpec, entry: Entry = entry) -> None:
            entry.judge_warnings.append(f"{spec.id}: {TOO_DEEP_TO_LINK}")

        link([(done.refs[f.rel][spec.id], spec) for spec in entry.specs], targets, failed)
    return done.entries


def _specs(files: Sequence[SourceFile], done: Judgement) -> list[ModuleSpec]:
    return [spec for f in files for spec in done.entries[f.rel].specs]

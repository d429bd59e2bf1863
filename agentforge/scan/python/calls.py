"""Which stubs call which: static resolution of call sites to module ids, by name and import.

Unresolvable or ambiguous calls are dropped rather than guessed; the lists feed the planner's graph, where
a wrong edge is worse than a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence

from tree_sitter import Node

from agentforge.artifacts import ModuleSpec
from agentforge.scan.extractor import fill_called_by
from agentforge.scan.python.index import Import, RepoIndex
from agentforge.scan.python.modules import absolute, matches, module_of
from agentforge.scan.python.sites import Site
from agentforge.scan.python.syntax import dotted, nodes_of


def link_calls(found: Sequence[tuple[Site, ModuleSpec]], index: RepoIndex) -> None:
    by_qualname: dict[str, list[str]] = {}
    for site, spec in found:
        by_qualname.setdefault(site.qualname, []).append(spec.id)
    by_id = {spec.id: spec for _, spec in found}
    for site, spec in found:
        calls = nodes_of("call", site.body)
        targets = {_target(c, site, index, by_id, by_qualname) for c in calls}
        spec.calls = sorted(t for t in targets if t is not None and t != spec.id)
    fill_called_by(list(by_id.values()))


CallRef = tuple[str, str | None, str, str]
"""A call as plain data, resolvable without its tree (so another process can): the id it names in its own
file, and the (qualified name, module as imported, importing file) it names through an import, if any."""


def call_ref(call: Node, site: Site, index: RepoIndex) -> CallRef | None:
    fn = call.child_by_field_name("function")
    name = dotted(fn) if fn is not None else None
    if name is None:
        return None
    imports = index.files[site.rel].imports
    head, _, attr = name.rpartition(".")
    if not head:
        imported = imports.get(name)
        if imported is None or imported.name is None:
            return f"{site.rel}::{name}", None, "", site.rel
        return f"{site.rel}::{name}", imported.name, imported.module, site.rel
    if head in ("self", "cls") and site.owner is not None:
        owner = site.qualname.rpartition(".")[0]
        return f"{site.rel}::{owner}.{attr}", None, "", site.rel
    module = imports.get(head)
    return f"{site.rel}::{name}", attr if module is not None else None, _full_module(module) if module else "", site.rel


def resolve(ref: CallRef | None, by_id: dict[str, ModuleSpec], by_qualname: dict[str, list[str]]) -> str | None:
    """The stub a call reaches: its own file's first, else the one stub of that name in the module it is
    imported from."""
    if ref is None:
        return None
    local, name, module, importer = ref
    if local in by_id:
        return local
    return _pick(by_qualname.get(name, []), module, importer) if name is not None else None


def _target(
    call: Node, site: Site, index: RepoIndex, by_id: dict[str, ModuleSpec], by_qualname: dict[str, list[str]]
) -> str | None:
    return resolve(call_ref(call, site, index), by_id, by_qualname)


def _full_module(imported: Import) -> str:
    if imported.name is None:
        return imported.module
    return imported.module + imported.name if imported.module.endswith(".") else f"{imported.module}.{imported.name}"


def _pick(candidates: list[str], module: str, importer: str) -> str | None:
    """The one candidate defined in `module`; a lone candidate when the module path cannot be matched."""
    wanted = absolute(module, importer)
    matching = [c for c in candidates if matches(module_of(c.split("::", 1)[0]), wanted)]
    if len(matching) == 1:
        return matching[0]
    return candidates[0] if not matching and len(candidates) == 1 else None

"""Route bookkeeping for champions: promote an adapter by hand, roll back to the previous champion.

A promotion keeps the previous champion first in the route's fallback chain (as the loop's own promotion
does), so a rollback knows what to restore: the first fallback entry that is `base` or an adapter. Routes
live in the store, so a change made here reaches a running `agentforge serve` within the runtime's
`ROUTE_CACHE_S` (at once for an engine on the same `Store` object).
"""

from __future__ import annotations

from dataclasses import dataclass

from agentforge.artifacts import AdapterStatus, AdapterVersion, Route
from agentforge.errors import PromotionError
from agentforge.runtime.targets import BACKEND_PREFIX, BASE, STATIC, TAGGER, VOTES, champion_target, parse_target
from agentforge.store import Store

__all__ = [
    "BASE",
    "STATIC",
    "PromotionError",
    "RouteChange",
    "previous_champion",
    "promote",
    "promoted_route",
    "retired_by",
    "rollback",
]


@dataclass(frozen=True)
class RouteChange:
    """What a promotion or rollback did to a module's route."""

    module_id: str
    before: Route
    after: Route


def previous_champion(route: Route) -> str | None:
    """The target a rollback restores: the first fallback entry that is `base`, an adapter (at any rung) or a vote
    of the corrections, and is not the champion's own rung."""
    current = champion_target(route)
    for target in route.fallback:
        if target in (STATIC, current) or target.startswith(BACKEND_PREFIX):
            continue
        return target
    return None


def promoted_route(before: Route, champion: str, examples: int) -> Route:
    """The route once `champion` (`base`, an adapter or a vote of the corrections) leads, answering with `examples`
    retrieved corrections (for `nearest`, the neighbours that vote).

    The previous champion, at its own rung, goes first in the fallback chain (which keeps `base` and ends in
    `static`), so a rollback restores exactly what answered before. A canary of the new champion ends.
    """
    after = before.model_copy(update={"champion": champion, "examples": examples})
    current = champion_target(after)
    fallback = [t for t in [champion_target(before), *before.fallback, BASE, STATIC] if t != current]
    if STATIC in fallback:  # static stays last
        fallback = [t for t in fallback if t != STATIC] + [STATIC]
    canary = before.canary if before.canary and before.canary.target != champion else None
    return after.model_copy(update={"canary": canary, "fallback": list(dict.fromkeys(fallback))})


def retired_by(before: Route, after: Route) -> str | None:
    """The adapter a route change takes out of service: the old champion's, when the new champion is another."""
    old = parse_target(before.champion, before).adapter
    return old if old is not None and old != parse_target(after.champion, after).adapter else None


def _set_status(store: Store, workspace_id: str, target: str, status: AdapterStatus) -> None:
    """Set the status of the adapter a route target names (`NAME` or `NAME+examples...`); others have none."""
    name = target.split("+", 1)[0].removeprefix(TAGGER)
    if name.split(":", 1)[0] in (BASE, STATIC, *VOTES) or name.startswith("backend:"):
        return
    adapter = store.get_adapter(workspace_id, name)
    adapter.status = status
    store.update_adapter(adapter)


def promote(store: Store, workspace_id: str, name: str, *, force: bool = False) -> RouteChange:
    """Make adapter `name` its module's champion (with the route's retrieved-example count unchanged); the old
    champion is retired and kept first in the fallback.

    A gate-rejected adapter needs `force=True`: promoting it overrides the gate's evidence.
    """
    adapter: AdapterVersion = store.get_adapter(workspace_id, name)
    if adapter.status is AdapterStatus.REJECTED and not force:
        reason = adapter.report.reason if adapter.report else "no report"
        raise PromotionError(f"{name} was rejected by the gate ({reason}); force the promotion to override it")
    before = store.get_route(workspace_id, adapter.module_id)
    if before.champion == name:
        raise PromotionError(f"{name} is already the champion of {adapter.module_id}")
    after = promoted_route(before, name, before.examples)
    _set_status(store, workspace_id, before.champion, AdapterStatus.RETIRED)
    adapter.status = AdapterStatus.CHAMPION
    store.update_adapter(adapter)
    store.set_route(workspace_id, adapter.module_id, after)
    return RouteChange(adapter.module_id, before, after)


def rollback(store: Store, workspace_id: str, module_id: str) -> RouteChange:
    """Restore the previous champion at its rung; the current one is retired and leaves the route."""
    before = store.get_route(workspace_id, module_id)
    previous = previous_champion(before)
    if previous is None:
        raise PromotionError(f"{module_id} has no previous champion in its fallback chain {before.fallback}")
    current = champion_target(before)
    restored = parse_target(previous, before)
    _set_status(store, workspace_id, before.champion, AdapterStatus.RETIRED)
    _set_status(store, workspace_id, restored.target, AdapterStatus.CHAMPION)
    canary = before.canary if before.canary and before.canary.target not in (before.champion, previous) else None
    fallback = [t for t in before.fallback if t not in (current, previous)]
    champion, examples = (restored.text, before.examples) if restored.vote else (restored.target, restored.examples)
    after = before.model_copy(
        update={
            "champion": champion,
            "examples": examples,
            "canary": canary,
            "fallback": fallback or [STATIC],
        }
    )
    store.set_route(workspace_id, module_id, after)
    return RouteChange(module_id, before, after)

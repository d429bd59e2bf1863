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
from agentforge.store import Store

__all__ = ["BASE", "STATIC", "PromotionError", "RouteChange", "previous_champion", "promote", "rollback"]

BASE = "base"
STATIC = "static"


@dataclass(frozen=True)
class RouteChange:
    """What a promotion or rollback did to a module's route."""

    module_id: str
    before: Route
    after: Route


def previous_champion(route: Route) -> str | None:
    """The target a rollback restores: the first fallback entry that is `base` or an adapter, not the champion."""
    for target in route.fallback:
        if target == STATIC or target.startswith("backend:") or target == route.champion:
            continue
        return target
    return None


def _set_status(store: Store, workspace_id: str, target: str, status: AdapterStatus) -> None:
    """Set the status of the adapter a route target names (`NAME` or `NAME+examples...`); others have none."""
    name = target.split("+", 1)[0]
    if name in (BASE, STATIC) or name.startswith("backend:"):
        return
    adapter = store.get_adapter(workspace_id, name)
    adapter.status = status
    store.update_adapter(adapter)


def promote(store: Store, workspace_id: str, name: str, *, force: bool = False) -> RouteChange:
    """Make adapter `name` its module's champion; the old champion is retired and kept first in the fallback.

    A gate-rejected adapter needs `force=True`: promoting it overrides the gate's evidence.
    """
    adapter: AdapterVersion = store.get_adapter(workspace_id, name)
    if adapter.status is AdapterStatus.REJECTED and not force:
        reason = adapter.report.reason if adapter.report else "no report"
        raise PromotionError(f"{name} was rejected by the gate ({reason}); force the promotion to override it")
    before = store.get_route(workspace_id, adapter.module_id)
    if before.champion == name:
        raise PromotionError(f"{name} is already the champion of {adapter.module_id}")
    _set_status(store, workspace_id, before.champion, AdapterStatus.RETIRED)
    fallback = [t for t in [before.champion, *before.fallback] if t != name]
    if BASE not in fallback:
        fallback.append(BASE)
    if STATIC not in fallback:
        fallback.append(STATIC)
    canary = before.canary if before.canary and before.canary.target != name else None
    after = before.model_copy(update={"champion": name, "canary": canary, "fallback": list(dict.fromkeys(fallback))})
    adapter.status = AdapterStatus.CHAMPION
    store.update_adapter(adapter)
    store.set_route(workspace_id, adapter.module_id, after)
    return RouteChange(adapter.module_id, before, after)


def rollback(store: Store, workspace_id: str, module_id: str) -> RouteChange:
    """Restore the previous champion; the current one is retired and leaves the route."""
    before = store.get_route(workspace_id, module_id)
    previous = previous_champion(before)
    if previous is None:
        raise PromotionError(f"{module_id} has no previous champion in its fallback chain {before.fallback}")
    current = before.champion
    _set_status(store, workspace_id, current, AdapterStatus.RETIRED)
    _set_status(store, workspace_id, previous, AdapterStatus.CHAMPION)
    canary = before.canary if before.canary and before.canary.target not in (current, previous) else None
    fallback = [t for t in before.fallback if t not in (current, previous)]
    after = before.model_copy(update={"champion": previous, "canary": canary, "fallback": fallback or [STATIC]})
    store.set_route(workspace_id, module_id, after)
    return RouteChange(module_id, before, after)

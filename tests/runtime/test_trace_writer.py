"""The runtime's trace writer on the real stores: grouped commits, flush before reads, nothing silently lost."""

from __future__ import annotations

import asyncio

import pytest

from agentforge.llm import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.trace_writer import TraceWriter
from agentforge.store import Store
from tests.store.test_store_conformance import make_trace

from .conftest import make_manifest


def test_add_traces_commits_a_group_across_workspaces(store: Store) -> None:
    traces = [make_trace("a"), make_trace("b"), make_trace("a")]
    store.add_traces(traces)
    assert {t.id for t in store.list_traces("a")} == {traces[0].id, traces[2].id}
    assert store.get_trace("b", traces[1].id) == traces[1]


def test_flush_makes_every_submitted_trace_readable_and_close_writes_the_rest(store: Store) -> None:
    writer = TraceWriter(store)
    traces = [make_trace() for _ in range(50)]
    for trace in traces[:40]:
        writer.submit(trace)
    writer.flush()
    assert len(store.list_traces("ws", limit=100)) == 40
    for trace in traces[40:]:
        writer.submit(trace)
    writer.close()
    assert len(store.list_traces("ws", limit=100)) == 50
    writer.submit(make_trace())  # after close, written at once by the caller
    assert len(store.list_traces("ws", limit=100)) == 51


def test_a_refused_trace_costs_only_itself_and_is_counted(store: Store) -> None:
    errors: list[int] = []
    writer = TraceWriter(store, on_error=errors.append)
    first = make_trace()
    store.add_trace(first)
    writer.submit(make_trace())
    writer.submit(first)  # the same id again: the store refuses it
    writer.submit(make_trace())
    writer.flush()
    assert len(store.list_traces("ws")) == 3
    assert sum(errors) == 1
    writer.close()


def test_engine_reads_its_own_traces_and_corrections_see_them(store: Store) -> None:
    store.save_manifest(make_manifest())
    engine = Engine(store, TestModel())

    async def burst() -> list[str]:
        traces = await asyncio.gather(*(engine.invoke("draft", {"message": f"m{i}"}) for i in range(20)))
        return [t.id for t in traces]

    ids = asyncio.run(burst())
    correction = engine.correct(ids[-1], "A better reply.")  # right after the burst: flushed first
    assert correction.trace_id == ids[-1]
    assert engine.get_trace(ids[0]).input == {"message": "m0"}
    engine.close()
    assert len(store.list_traces("default", limit=100)) == 20


def test_route_changes_show_at_once_from_the_same_store_and_soon_from_another(
    store: Store, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import agentforge.runtime.engine as engine_module
    from agentforge.artifacts import Route

    store.save_manifest(make_manifest())
    engine = Engine(store, TestModel())
    module = "app/ai.py::draft"
    assert engine.route_targets(module) == [None]
    store.set_route("default", module, Route(champion="draft@v1"))
    assert engine.route_targets(module)[0] == "draft@v1"  # same store object: at once
    other = Store.open(store_url)  # another process's store, in effect
    other.set_route("default", module, Route(champion="draft@v2"))
    monkeypatch.setattr(engine_module, "ROUTE_CACHE_S", 0.2)
    time.sleep(0.3)
    assert engine.route_targets(module)[0] == "draft@v2"
    other.close()
    engine.close()

"""Durability and concurrency: a writer killed with SIGKILL, threads writing at once, racing migrations."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from agentforge.artifacts import RouteTaken, Trace
from agentforge.store import Store

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from agentforge.artifacts import Correction, RouteTaken, Trace
    from agentforge.store import Store

    store = Store.open(sys.argv[1])
    trace = Trace(
        workspace_id="ws", module_id="m.py::f", input={"x": 1}, output="a", route=RouteTaken(model="base")
    )
    store.add_trace(trace)
    store.add_correction(Correction(workspace_id="ws", trace_id=trace.id, module_id="m.py::f", value="b"))
    print("ok", trace.id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no close(), no interpreter shutdown, no checkpoint
    """
)


def test_acknowledged_correction_survives_sigkill(store_url: str) -> None:
    Store.open(store_url).close()  # the schema exists before the child starts
    child = subprocess.run(
        [sys.executable, "-c", CHILD, store_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    word, trace_id = child.stdout.split()
    assert word == "ok"

    with Store.open(store_url) as store:
        assert store.count_corrections("ws", "m.py::f") == 1
        [example] = store.list_examples("ws", "m.py::f")
        assert (example.trace_id, example.model_output, example.target) == (trace_id, "a", "b")
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_concurrent_writers_from_threads(store: Store) -> None:
    def write(worker: int) -> None:
        for i in range(15):
            trace = Trace(
                workspace_id=f"ws{worker % 3}",
                module_id="m.py::f",
                input={"i": i},
                route=RouteTaken(model="b"),
            )
            store.add_trace(trace)
            assert store.get_trace(trace.workspace_id, trace.id) == trace

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    assert sum(len(store.list_traces(f"ws{w}", limit=1000)) for w in range(3)) == 8 * 15


def test_concurrent_first_opens_migrate_once(store_url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: Store.open(store_url), range(4)))
    try:
        with stores[0].engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        for opened in stores:
            opened.close()

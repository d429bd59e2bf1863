"""Write traces off the request path: a background thread commits them in groups, one transaction each.

An invoke hands its trace over and returns; the writer commits whatever has queued up since its last commit
in a single transaction (one fsync for many traces under load). Anything that reads traces back in this
process (the trace endpoint, a correction) calls `flush()` first, so it always sees every trace answered so
far. Traces are the record of answers already given, so the cost of this is small and bounded: a crash can
lose the traces of the last few milliseconds, never a correction (those are written synchronously).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from agentforge.artifacts import Trace
from agentforge.store import Store

MAX_GROUP = 256
logger = logging.getLogger("agentforge.runtime")


class TraceWriter:
    def __init__(self, store: Store, *, on_error: Callable[[int], None] | None = None) -> None:
        self._store = store
        self._on_error = on_error
        self._queue: queue.Queue[Trace | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="agentforge-traces", daemon=True)
        self._thread.start()
        self._closed = False

    def submit(self, trace: Trace) -> None:
        if self._closed:  # after close (shutdown), write in the caller: nothing is dropped
            self._write([trace])
            return
        self._queue.put(trace)

    def flush(self) -> None:
        """Return once every trace submitted before this call is committed (or reported as failed)."""
        if not self._closed:
            self._queue.join()

    def close(self) -> None:
        if not self._closed:
            self._queue.put(None)
            self._thread.join()
            self._closed = True

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            traces = [t for t in group if t is not None]
            if traces:
                self._write(traces)
            for _ in group:
                self._queue.task_done()
            if None in group:
                return

    def _write(self, traces: list[Trace]) -> None:
        try:
            self._store.add_traces(traces)
            return
        except Exception:  # one bad trace must not cost the others: retry them one by one
            logger.warning("agentforge: writing %d traces together failed; retrying one by one", len(traces))
        failed = 0
        for trace in traces:
            try:
                self._store.add_trace(trace)
            except Exception:
                failed += 1
                logger.exception("agentforge: trace %s of %s could not be stored", trace.id, trace.module_id)
        if failed and self._on_error is not None:
            self._on_error(failed)

"""Micro-batching for the local back end: concurrent free-generation requests share one batched `generate`.

A single worker thread owns the batches. It takes the oldest waiting request and every other waiting request
that can share its pass (same adapter and sampling settings), up to `max_batch`, and runs them together;
requests that arrive meanwhile wait for the next pass. Nothing waits on a timer: a lone request starts at
once, and batches form only when requests queue up behind a running one, so a quiet server pays nothing and
a busy one turns its queue into batches (throughput grows with concurrency).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    key: Hashable
    """Requests with equal keys can share a pass (e.g. adapter and temperature)."""
    payload: Any
    future: Future[Any] = field(default_factory=Future)


RunBatch = Callable[[Hashable, Sequence[Any]], Sequence[Any]]
"""Runs one pass: (key, payloads) -> one result per payload, in order."""


class MicroBatcher:
    def __init__(self, run_batch: RunBatch, *, max_batch: int = 16, name: str = "agentforge-batcher") -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._held: list[Job] = []
        """Jobs taken off the queue that did not fit the last pass, oldest first."""
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._started = False
        self._start_lock = threading.Lock()
        self.passes = 0
        """Batched passes run so far (for tests and benchmarks)."""

    async def submit(self, key: Hashable, payload: Any) -> Any:
        """The result of `payload`'s pass; exceptions of the pass are raised here."""
        job = Job(key, payload)
        self._ensure_started()
        self._queue.put(job)
        return await asyncio.wrap_future(job.future)

    def _ensure_started(self) -> None:
        with self._start_lock:
            if not self._started:
                self._thread.start()
                self._started = True

    def _next_batch(self) -> list[Job]:
        if not self._held:
            self._held.append(self._queue.get())
        while True:
            try:
                self._held.append(self._queue.get_nowait())
            except queue.Empty:
                break
        key = self._held[0].key
        batch = [job for job in self._held if job.key == key][: self._max_batch]
        chosen = {id(job) for job in batch}
        self._held = [job for job in self._held if id(job) not in chosen]
        return batch

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            live = [job for job in batch if job.future.set_running_or_notify_cancel()]
            if not live:
                continue
            self.passes += 1
            try:
                results = self._run_batch(live[0].key, [job.payload for job in live])
            except BaseException as exc:  # the pass failed: every caller in it hears why
                for job in live:
                    job.future.set_exception(exc)
                continue
            for job, result in zip(live, results, strict=True):
                job.future.set_result(result)

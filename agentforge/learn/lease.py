"""Keep a claimed job's lease alive from a background thread, and tell the job when to stop.

The running job calls `check()` between phases and `progress()` between training steps and evaluated
examples; either raises once the lease is lost (another worker owns the job now), the job was cancelled, or
the worker is shutting down. `stop_reason` says which, even after the trainer wrapped the exception.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Literal

from agentforge.artifacts import JobProgress, JobState, TrainingJob
from agentforge.errors import AgentforgeError, JobStoppedError, LeaseLostError
from agentforge.store.queue import JobQueue

log = logging.getLogger("agentforge.worker")

StopReason = Literal["lost", "cancelled", "shutdown"]


class Lease:
    """A claimed job under renewal: beats every third of `lease_s` until the `with` block ends."""

    def __init__(self, queue: JobQueue, job: TrainingJob, worker: str, lease_s: float) -> None:
        self.queue, self.worker, self.lease_s = queue, worker, lease_s
        self._job = job
        self._progress: JobProgress | None = None
        self._reason: StopReason | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job.id[:8]}", daemon=True)

    @property
    def job(self) -> TrainingJob:
        with self._lock:
            return self._job

    @property
    def stop_reason(self) -> StopReason | None:
        with self._lock:
            return self._reason

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()

    def shutdown(self) -> None:
        """The worker is stopping: the job stops at its next check and is released, not finished."""
        self._stop("shutdown")

    def check(self) -> None:
        reason = self.stop_reason
        if reason == "lost":
            raise LeaseLostError(f"job {self._job.id}: lease lost; another worker owns it now")
        if reason == "cancelled":
            raise JobStoppedError(f"job {self._job.id} was cancelled")
        if reason == "shutdown":
            raise JobStoppedError(f"job {self._job.id}: the worker is shutting down")

    def progress(self, phase: str, done: int, total: int) -> None:
        """Record progress (written with the next heartbeat), then `check()`."""
        with self._lock:
            self._progress = JobProgress(phase=phase, done=done, total=total)
        self.check()

    def advance(self, state: JobState, **changes: object) -> TrainingJob:
        """Move the job to another active state (guarded by the lease)."""
        self.check()
        try:
            job = self.queue.advance(self.job, self.worker, state, **changes)
        except LeaseLostError:
            self._stop("lost")
            raise
        with self._lock:
            self._job = job
        return job

    def _stop(self, reason: StopReason) -> None:
        with self._lock:
            if self._reason is None or reason == "lost":
                self._reason = reason

    def _beat(self) -> None:
        while not self._done.wait(self.lease_s / 3):
            with self._lock:
                job, progress = self._job, self._progress
            try:
                current = self.queue.heartbeat(job, self.worker, self.lease_s, progress)
            except LeaseLostError as exc:
                log.warning("%s", exc)
                self._stop("lost")
                return
            except AgentforgeError as exc:  # the store is briefly unreachable: try again on the next beat
                log.warning("job %s: heartbeat failed: %s", job.id, exc)
                continue
            with self._lock:
                self._job = current
            if current.cancel_requested:
                self._stop("cancelled")

"""Transient failures are retried with exponential backoff; permanent ones fail at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from agentforge.artifacts import JobState
from agentforge.errors import ModelError, ModelUnavailableError, StoreError, TrainingError
from agentforge.learn.loop import is_transient, retry_delay
from agentforge.store import Store
from agentforge.store.queue import JobQueue
from tests.learn.test_queue import MOD, WS


def test_a_transient_failure_is_queued_again_after_its_delay_until_max_attempts(store: Store) -> None:
    queue = JobQueue(store)
    job, _ = queue.enqueue(WS, MOD, max_attempts=2)
    first = queue.claim("w1", lease_s=30)
    assert first is not None
    waiting = queue.retry_later(first, "w1", "RuntimeError: CUDA out of memory", delay_s=0.3)
    assert (waiting.state, waiting.attempts, waiting.lease_expires_at) == (JobState.QUEUED, 1, None)
    assert waiting.error == "attempt 1/2 failed: RuntimeError: CUDA out of memory; retrying in 0 s"
    assert queue.claim("w2", lease_s=30) is None  # not due before its delay
    time.sleep(0.4)
    second = queue.claim("w2", lease_s=30)
    assert second is not None and (second.id, second.attempts, second.lease_owner) == (job.id, 2, "w2")
    failed = queue.retry_later(second, "w2", "RuntimeError: CUDA out of memory", delay_s=0)
    assert failed.state is JobState.FAILED and failed.error is not None
    assert failed.error.startswith("attempt 2/2 failed") and "gave up after max_attempts=2" in failed.error
    assert queue.claim("w3", lease_s=30) is None


def test_a_job_queued_meanwhile_supersedes_the_retry(store: Store) -> None:
    queue = JobQueue(store)
    queue.enqueue(WS, MOD)
    claimed = queue.claim("w", lease_s=30)
    assert claimed is not None
    newer, created = queue.enqueue(WS, MOD)  # more corrections arrived while it ran
    assert created
    failed = queue.retry_later(claimed, "w", "OSError: disk full", delay_s=0)
    assert failed.state is JobState.FAILED and f"job {newer.id} is queued" in (failed.error or "")
    assert [j.state for j in store.list_jobs(WS) if j.id == newer.id] == [JobState.QUEUED]


def _wrapped(cause: Exception) -> TrainingError:
    try:
        raise TrainingError(f"training failed: {cause}") from cause
    except TrainingError as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (RuntimeError("CUDA out of memory"), True),
        (OSError("No space left on device"), True),
        (StoreError("connection refused"), True),
        (ModelError("the back end timed out"), True),
        (_wrapped(MemoryError()), True),
        (ModelUnavailableError("no such model"), False),
        (TrainingError("app.py::f has 3 training corrections; need at least 8"), False),
        (_wrapped(ValueError("bad recipe")), True),
        (_wrapped(TrainingError("inner")), False),
    ],
)
def test_which_failures_are_worth_another_attempt(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_the_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [30.0, 60.0, 120.0, 240.0]
    assert retry_delay(20) == 600.0

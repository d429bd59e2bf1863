"""The lease keeper a running job lives under: heartbeats renew it, and cancel, loss and shutdown stop the job."""

from __future__ import annotations

import time

import pytest

from agentforge.artifacts import JobState
from agentforge.errors import JobStoppedError, LeaseLostError
from agentforge.learn.lease import Lease
from agentforge.store import Store
from agentforge.store.queue import JobQueue
from tests.learn.test_queue import MOD, WS


def _claimed(store: Store, lease_s: float) -> tuple[JobQueue, Lease]:
    queue = JobQueue(store)
    queue.enqueue(WS, MOD)
    job = queue.claim("w1", lease_s=lease_s)
    assert job is not None
    return queue, Lease(queue, job, "w1", lease_s)


def test_heartbeats_keep_the_job_and_record_progress(store: Store) -> None:
    queue, lease = _claimed(store, lease_s=0.6)
    with lease:
        lease.progress("train", 3, 10)
        time.sleep(1.2)  # twice the lease: only the heartbeats keep it
        assert queue.claim("w2", lease_s=30) is None
        stored = store.get_job(WS, lease.job.id)
        assert stored.progress is not None and (stored.progress.done, stored.progress.total) == (3, 10)
        assert lease.advance(JobState.EVALUATING).state is JobState.EVALUATING
    assert lease.stop_reason is None


def test_a_cancel_request_stops_the_job_at_its_next_check(store: Store) -> None:
    queue, lease = _claimed(store, lease_s=0.3)
    with lease:
        queue.cancel(WS, lease.job.id)
        time.sleep(0.4)
        with pytest.raises(JobStoppedError, match="cancelled"):
            lease.progress("train", 1, 10)
    assert lease.stop_reason == "cancelled"


def test_a_lost_lease_stops_the_job_and_shutdown_asks_it_to_stop(store: Store) -> None:
    queue, lease = _claimed(store, lease_s=0.3)
    lease.shutdown()
    with pytest.raises(JobStoppedError, match="shutting down"):
        lease.check()
    time.sleep(0.4)  # never started beating: the lease expires and another worker takes the job
    assert queue.claim("w2", lease_s=30) is not None
    with lease:
        time.sleep(0.3)
    assert lease.stop_reason == "lost"
    with pytest.raises(LeaseLostError):
        lease.check()

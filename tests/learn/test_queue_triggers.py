"""Triggers: N new corrections (through the runtime's `correct`), and the schedule; one queued job either way."""

from __future__ import annotations

import pytest

from agentforge.artifacts import JobState, JobTrigger
from agentforge.errors import ConfigError
from agentforge.learn.triggers import DEFAULT_TRAIN_AFTER, TRAIN_AFTER_ENV, enqueue_due, train_after_from_env
from agentforge.llm.base import run_sync
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.store import Store
from agentforge.store.queue import JobQueue
from tests.learn.test_queue import MOD, WS, _manifest


def test_n_corrections_queue_one_job_and_the_schedule_queues_what_is_new(store: Store) -> None:
    store.save_manifest(_manifest([MOD]))
    engine = Engine(store, TestModel(), workspace_id=WS, train_after=3)
    queue = JobQueue(store)

    def correct(n: int) -> None:
        for i in range(n):
            trace = run_sync(engine.invoke("classify", {"i": i}))
            engine.correct(trace.id, "fixed")

    try:
        correct(2)
        assert queue.jobs(WS) == []
        correct(1)
        [job] = queue.jobs(WS)
        assert (job.trigger, job.state, job.corrections) == (JobTrigger.CORRECTIONS, JobState.QUEUED, 3)
        correct(4)  # more corrections while one is queued: still one queued job
        assert [j.id for j in queue.jobs(WS, states=[JobState.QUEUED])] == [job.id]
    finally:
        engine.close()

    assert enqueue_due(queue, trigger=JobTrigger.SCHEDULE) == []  # 4 new, but a job is still queued
    claimed = queue.claim("w", lease_s=30)
    assert claimed is not None
    [scheduled] = enqueue_due(queue, trigger=JobTrigger.SCHEDULE, min_new=1)
    assert scheduled.trigger is JobTrigger.SCHEDULE and scheduled.corrections == 7


def test_threshold_from_option_env_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRAIN_AFTER_ENV, raising=False)
    assert train_after_from_env() == DEFAULT_TRAIN_AFTER
    assert train_after_from_env(5) == 5 and train_after_from_env(0) is None
    monkeypatch.setenv(TRAIN_AFTER_ENV, "12")
    assert train_after_from_env() == 12
    monkeypatch.setenv(TRAIN_AFTER_ENV, "lots")
    with pytest.raises(ConfigError, match=TRAIN_AFTER_ENV):
        train_after_from_env()

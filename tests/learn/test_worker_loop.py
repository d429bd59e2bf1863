"""The worker loop's orchestration with a fake model (the real training path is in test_worker_kill.py)."""

from __future__ import annotations

from pathlib import Path

from agentforge.artifacts import JobState, JobTrigger
from agentforge.config import Paths
from agentforge.learn.worker import Worker, WorkerConfig
from agentforge.llm.testing import TestModel
from agentforge.store import Store
from agentforge.store.queue import JobQueue
from tests.learn.test_queue import MOD, WS, _correct, _manifest


def test_a_job_that_cannot_start_fails_with_the_reason_and_once_exits(store: Store, tmp_path: Path) -> None:
    store.save_manifest(_manifest([MOD]))
    queue = JobQueue(store)
    job, _ = queue.enqueue(WS, MOD)
    bad, _ = queue.enqueue(WS, "app.py::other", recipe="no-such-recipe")
    worker = Worker(store, TestModel(), Paths(home=tmp_path), WorkerConfig(lease_s=5, poll_s=0.1))
    assert worker.run(once=True) == 2
    failed = store.get_job(WS, job.id)
    assert failed.state is JobState.FAILED and "local transformers back end" in (failed.error or "")
    assert failed.lease_expires_at is None and failed.lease_owner == worker.id
    unknown = store.get_job(WS, bad.id)
    assert unknown.state is JobState.FAILED and "no-such-recipe" in (unknown.error or "")


def test_the_schedule_queues_modules_with_new_corrections(store: Store, tmp_path: Path) -> None:
    store.save_manifest(_manifest([MOD]))
    _correct(store, n=2)
    worker = Worker(store, TestModel(), Paths(home=tmp_path), WorkerConfig(poll_s=0.1, schedule_s=3600))
    worker.run(max_jobs=1)
    [job] = store.list_jobs(WS)
    assert job.trigger is JobTrigger.SCHEDULE and job.state is JobState.FAILED


def test_a_stopped_worker_claims_nothing(store: Store, tmp_path: Path) -> None:
    JobQueue(store).enqueue(WS, MOD)
    worker = Worker(store, TestModel(), Paths(home=tmp_path))
    worker.stop()
    assert worker.run() == 0
    assert [j.state for j in store.list_jobs(WS)] == [JobState.QUEUED]


def test_a_recipe_for_another_base_model_fails_before_training(
    tmp_path: Path, agentforge_home: Path, smollm2_dir: Path
) -> None:
    from agentforge.llm.local import LocalModel

    other = tmp_path / "other-model"
    other.mkdir()
    (other / "config.json").write_text("{}")
    recipe = tmp_path / "other.yaml"
    recipe.write_text(f"base_model: {other}\n")
    with Store.open(f"sqlite:///{tmp_path / 'af.db'}") as store:
        store.save_manifest(_manifest([MOD]))
        job, _ = JobQueue(store).enqueue(WS, MOD, recipe=str(recipe))
        model = LocalModel.load(paths=Paths(home=agentforge_home))
        Worker(store, model, Paths(home=tmp_path), WorkerConfig(lease_s=5, poll_s=0.1)).run(once=True)
        failed = store.get_job(WS, job.id)
    assert failed.state is JobState.FAILED
    assert f"trains adapters for {other}" in (failed.error or "") and "--model" in (failed.error or "")

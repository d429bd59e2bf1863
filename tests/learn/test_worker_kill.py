"""Issue 5's acceptance: two `agentforge worker` processes compete for a job; the one training it is killed with
SIGKILL mid-training; the other takes the job over once the lease expires, finishes it, and exactly one
adapter version exists. Real store (SQLite file, fresh PostgreSQL database), real PEFT training."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentforge.artifacts import (
    Correction,
    JobState,
    RouteTaken,
    Trace,
    TrainingJob,
)
from agentforge.store import Store
from agentforge.store.queue import JobQueue
from tests.labels import label_manifest

pytestmark = pytest.mark.slow

MODULE = "bot.py::topic"
TOPICS = {
    "weather": ["Will it rain in {x} tomorrow?", "How cold is it in {x} tonight?", "Is {x} sunny today?"],
    "sports": ["Who won the {x} match?", "When does {x} play next?", "What was the {x} score?"],
    "cooking": ["How long should I bake {x}?", "What spices go with {x}?", "Can I freeze cooked {x}?"],
}
FILLERS = ["Paris", "Lisbon", "the Lakers", "Arsenal", "salmon", "lasagna", "Oslo", "rice"]
RECIPE = """
base_model: smollm2-135m-instruct
lora_r: 4
lora_alpha: 8
lora_target_modules: [q_proj, v_proj]
learning_rate: 0.001
num_epochs: 1
micro_batch_size: 4
max_seq_len: 96
min_examples: 8
"""
LEASE_S = 4


def _seed(store: Store, n: int = 24) -> None:
    store.save_manifest(
        label_manifest(MODULE, sorted(TOPICS), input_name="question", intent="Say which topic a question is about.")
    )
    rng = random.Random(3)
    for i in range(n):
        topic = list(TOPICS)[i % 3]
        question = rng.choice(TOPICS[topic]).format(x=rng.choice(FILLERS)) + f" (#{i})"
        trace = Trace(module_id=MODULE, input={"question": question}, output="cooking", route=RouteTaken(model="m"))
        store.add_trace(trace)
        store.add_correction(Correction(trace_id=trace.id, module_id=MODULE, value=topic))


def _worker(store_url: str, data: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "agentforge", "worker", "--store", store_url, "--data", str(data)]
    command += ["--lease", str(LEASE_S), "--poll", "0.5", "--max-jobs", "1"]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])


def _pid(job: TrainingJob) -> int:
    assert job.lease_owner is not None
    return int(job.lease_owner.rsplit(":", 2)[1])


def _wait_training(store: Store, job_id: str, workers: list[subprocess.Popen[bytes]]) -> TrainingJob:
    deadline = time.monotonic() + 600  # worker start-up and the first step are slow on a busy 2-core machine
    while time.monotonic() < deadline:
        job = store.get_job("default", job_id)
        if job.state is JobState.RUNNING and job.progress and job.progress.phase == "train" and job.progress.done >= 1:
            return job
        assert job.state in (JobState.QUEUED, JobState.RUNNING), job
        assert all(w.poll() is None for w in workers), "a worker exited before training"
        time.sleep(0.2)
    raise AssertionError("no worker finished a training step in time")


def test_a_worker_killed_mid_training_is_taken_over_and_one_adapter_is_published(
    store_url: str, tmp_path: Path, smollm2_dir: Path
) -> None:
    data = tmp_path / "data"
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(RECIPE, encoding="utf-8")
    with Store.open(store_url) as store:
        _seed(store)
        job, _ = JobQueue(store).enqueue("default", MODULE, recipe=str(recipe))
        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        workers = [_worker(store_url, data, log) for log in logs]
        try:
            training = _wait_training(store, job.id, workers)
            victim = next(w for w in workers if w.pid == _pid(training))
            survivor = next(w for w in workers if w is not victim)
            os.kill(victim.pid, signal.SIGKILL)
            assert victim.wait(30) == -signal.SIGKILL
            assert survivor.wait(600) == 0, logs[workers.index(survivor)].read_text()
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                    w.wait()

        done = store.get_job("default", job.id)
        survivor_log = logs[workers.index(survivor)].read_text()
        assert done.state in (JobState.PROMOTED, JobState.REJECTED), (done, survivor_log)
        assert done.attempts == 2 and _pid(done) == survivor.pid
        assert "claimed (attempt 2/3" in survivor_log
        [adapter] = store.list_adapters("default", MODULE)
        assert adapter.name == done.adapter and adapter.report is not None
        folders = sorted(p.name for p in (data / "adapters" / "default").iterdir())
        assert folders == [Path(adapter.path).name]  # no staging or temp folder left behind
        assert (Path(adapter.path) / "adapter_card.json").is_file()

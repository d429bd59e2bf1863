"""`agentforge worker`: claim training jobs from the store's queue and run them, one at a time.

Any number of workers may share one store (processes, machines); the queue hands each job to one of them and
redelivers it when its worker dies. A worker asked to stop (SIGTERM) stops at the running job's next check
and releases it to the others.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from agentforge.artifacts import JobState, JobTrigger, TrainingJob
from agentforge.config import Paths, default_home
from agentforge.errors import AgentforgeError, LeaseLostError, TrainingError
from agentforge.learn.lease import Lease
from agentforge.learn.loop import FormatText, run_claimed, worker_id
from agentforge.learn.recipe import load_recipe
from agentforge.learn.triggers import enqueue_due
from agentforge.llm.base import Model
from agentforge.runtime import Engine
from agentforge.store import Store
from agentforge.store.queue import JobQueue

log = logging.getLogger("agentforge.worker")


@dataclass(frozen=True)
class WorkerConfig:
    lease_s: float = 30.0
    """Lease length; heartbeats renew it every third of it. A dead worker's job is redelivered after it."""
    poll_s: float = 2.0
    """Wait between claims when the queue is empty."""
    schedule_s: float | None = None
    """Every this many seconds, queue a job for each module with corrections newer than its latest job."""


class ProgressLog:
    """Logs a job's progress at each new phase and every tenth of it, so a long job shows it is moving."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._last: tuple[str, int] = ("", -1)

    def __call__(self, phase: str, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if (phase, tenth) != self._last:
            self._last = (phase, tenth)
            log.info("job %s: %s %d/%d", self.job_id, phase, done, total)


class Worker:
    """One worker process's loop. `model` answers the evaluation gate and provides the chat formatting."""

    def __init__(self, store: Store, model: Model, data: Paths, config: WorkerConfig | None = None) -> None:
        self.store, self.model, self.data = store, model, data
        self.config = config or WorkerConfig()
        self.queue = JobQueue(store)
        self.id = worker_id()
        self._stop = threading.Event()
        self._lease: Lease | None = None
        self._next_schedule = time.monotonic()

    def stop(self) -> None:
        """Stop claiming; a running job stops at its next check and is released (safe from a signal handler)."""
        self._stop.set()
        lease = self._lease
        if lease is not None:
            lease.shutdown()

    def run(self, *, once: bool = False, max_jobs: int | None = None) -> int:
        """Claim and run jobs until stopped, `max_jobs` are done, or (with `once`) the queue is empty.

        Returns the number of jobs run (finished, released or lost alike).
        """
        done = 0
        log.info("worker %s: polling every %.1f s, lease %.0f s", self.id, self.config.poll_s, self.config.lease_s)
        while not self._stop.is_set() and (max_jobs is None or done < max_jobs):
            try:
                self._schedule()
                job = self.queue.claim(self.id, self.config.lease_s)
            except AgentforgeError as exc:  # the store is unreachable for now: keep polling
                log.warning("worker %s: cannot claim: %s", self.id, exc)
                self._stop.wait(self.config.poll_s)
                continue
            if job is None:
                if once:
                    break
                self._stop.wait(self.config.poll_s)
                continue
            self._run_one(job)
            done += 1
        log.info("worker %s: stopping after %d job(s)", self.id, done)
        return done

    def _schedule(self) -> None:
        if self.config.schedule_s is None or time.monotonic() < self._next_schedule:
            return
        self._next_schedule = time.monotonic() + self.config.schedule_s
        for job in enqueue_due(self.queue, trigger=JobTrigger.SCHEDULE, min_new=1):
            log.info("schedule: queued job %s for %s", job.id, job.module_id)

    def _run_one(self, job: TrainingJob) -> None:
        started = time.perf_counter()
        log.info(
            "job %s %s: claimed (attempt %d/%d, trigger %s, workspace %s)",
            job.id,
            job.module_id,
            job.attempts,
            job.max_attempts,
            job.trigger.value,
            job.workspace_id,
        )
        engine = Engine(self.store, self.model, workspace_id=job.workspace_id)
        lease = Lease(self.queue, job, self.id, self.config.lease_s)
        self._lease = lease
        try:
            with lease:
                if self._stop.is_set():
                    lease.shutdown()
                try:
                    recipe = load_recipe(job.recipe)
                    model_dir, format_text = self._model_dir(recipe.base_model), self._format_text()
                    self._check_base(recipe.base_model, model_dir)
                except AgentforgeError as exc:
                    self.queue.finish(job, self.id, JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
                    raise
                outcome = run_claimed(
                    engine,
                    lease,
                    self.data,
                    recipe=recipe,
                    model_dir=model_dir,
                    base_model=recipe.base_model,
                    format_text=format_text,
                    progress=ProgressLog(job.id),
                )
            r = outcome.report
            log.info(
                "job %s %s: %s %s (%s %.3f -> %.3f on %d held-out) in %.0f s",
                job.id,
                job.module_id,
                outcome.job.state.value,
                outcome.adapter.name,
                r.metric,
                r.champion_score,
                r.candidate_score,
                r.n,
                time.perf_counter() - started,
            )
        except Exception as exc:
            self._log_end(job, lease, exc)
            if not isinstance(exc, AgentforgeError):
                log.exception("job %s: unexpected error", job.id)
        finally:
            self._lease = None
            engine.close()

    def _log_end(self, job: TrainingJob, lease: Lease, exc: Exception) -> None:
        reason = lease.stop_reason
        if reason == "lost" or isinstance(exc, LeaseLostError):
            log.warning("job %s %s: lease lost; stopped without publishing", job.id, job.module_id)
        elif reason == "shutdown":
            log.info("job %s %s: released (worker shutting down)", job.id, job.module_id)
        elif reason == "cancelled":
            log.info("job %s %s: %s", job.id, job.module_id, JobState.CANCELLED.value)
        else:
            log.error("job %s %s: failed: %s", job.id, job.module_id, exc)

    def _model_dir(self, base_model: str) -> Path:
        from agentforge.llm.weights import resolve_model_dir

        return resolve_model_dir(base_model, Paths(home=default_home()))

    def _check_base(self, base_model: str, model_dir: Path) -> None:
        """The gate evaluates the adapter on the worker's own model, so the recipe must train for that model."""
        from agentforge.llm.local import LocalModel

        if isinstance(self.model, LocalModel) and self.model.model_dir.resolve() != model_dir.resolve():
            raise TrainingError(
                f"the recipe trains adapters for {base_model} but this worker serves {self.model.name}; "
                f"run a worker with `--model {base_model}` for it"
            )

    def _format_text(self) -> FormatText:
        from agentforge.llm.local import LocalModel

        if not isinstance(self.model, LocalModel):
            raise TrainingError("the worker trains in-process and needs the local transformers back end")
        return self.model.format_training_text

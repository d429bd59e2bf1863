"""What queues a training job: enough new corrections on a module, a person (`agentforge train`), a schedule.

Every trigger goes through `JobQueue.enqueue`, which keeps at most one queued job per module, so triggers
firing together (a burst of corrections, several workers' schedules) queue one job. The corrections trigger
fires in `Engine.correct` (`Engine(train_after=N)`; `agentforge serve --train-after N`).
"""

from __future__ import annotations

import os

from agentforge.artifacts import JobTrigger, TrainingJob
from agentforge.errors import ConfigError
from agentforge.store.queue import JobQueue

TRAIN_AFTER_ENV = "AGENTFORGE_TRAIN_AFTER"
DEFAULT_TRAIN_AFTER = 50
"""New corrections on a module that queue its retraining: enough for a held-out split worth gating on."""


def train_after_from_env(value: int | None = None) -> int | None:
    """The corrections threshold: `value` if given, else `$AGENTFORGE_TRAIN_AFTER`, else the default; 0 is off."""
    if value is None:
        raw = os.environ.get(TRAIN_AFTER_ENV, "").strip()
        if not raw:
            return DEFAULT_TRAIN_AFTER
        try:
            value = int(raw)
        except ValueError as exc:
            raise ConfigError(f"{TRAIN_AFTER_ENV} must be a whole number of corrections, got {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"the corrections threshold cannot be negative, got {value}")
    return value or None


def enqueue_due(queue: JobQueue, *, trigger: JobTrigger, min_new: int = 1) -> list[TrainingJob]:
    """Queue a job for every module (any workspace) with at least `min_new` corrections since its latest job."""
    modules = queue.corrected_modules()
    queued = [queue.enqueue_if_due(ws, module, after=min_new, trigger=trigger) for ws, module in modules]
    return [job for job in queued if job is not None]

"""The durable job queue, on the store's `jobs` table (the Solid Queue / Oban / procrastinate pattern).

A worker claims a job under a lease and renews it by heartbeat. A worker that dies stops renewing; once the
lease expires the next claim redelivers the job (attempts + 1), until `max_attempts`. PostgreSQL claims with
`SELECT ... FOR UPDATE SKIP LOCKED`, so competing workers never wait on each other's rows; on SQLite every
write transaction is `BEGIN IMMEDIATE` (see `engine.py`), so a claim is a single-writer transaction. Every
change a worker makes is guarded by "I still hold the lease": a worker that lost its job changes nothing.
A partial unique index keeps at most one *queued* job per module; `enqueue` returns the existing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agentforge.artifacts import (
    AdapterStatus,
    AdapterVersion,
    JobProgress,
    JobState,
    JobTrigger,
    Route,
    TrainingJob,
    utcnow,
)
from agentforge.errors import JobError, LeaseLostError, NotFoundError, StoreError
from agentforge.store import rows
from agentforge.store.store import Store
from agentforge.store.tables import AdapterRow, CorrectionRow, TrainingJobRow

ACTIVE = [JobState.RUNNING.value, JobState.EVALUATING.value]


@dataclass(frozen=True)
class Publication:
    """What a successful job commits together with its final state: the adapter row, and the route change."""

    adapter: AdapterVersion
    route: Route | None = None
    """The module's new route when the adapter is promoted."""
    retire: str | None = None
    """The previous champion adapter, retired by the promotion."""


class JobQueue:
    """Enqueue, claim, heartbeat, finish, cancel and retry training jobs of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ---------------------------------------------------------------------------------- producers

    def enqueue(
        self,
        workspace_id: str,
        module_id: str,
        *,
        trigger: JobTrigger = JobTrigger.MANUAL,
        recipe: str = "cpu-default",
        max_attempts: int = 3,
        delay_s: float = 0.0,
    ) -> tuple[TrainingJob, bool]:
        """The module's queued job, and whether this call created it (at most one is queued per module)."""
        if max_attempts < 1:
            raise JobError(f"max_attempts must be at least 1, got {max_attempts}")
        for _ in range(3):
            try:
                with self.store.transaction(write=True) as session:
                    existing = self._queued(session, workspace_id, module_id)
                    if existing is not None:
                        return rows.to_job(existing), False
                    count = session.scalar(_correction_count(workspace_id, module_id)) or 0
                    now = utcnow()
                    job = TrainingJob(
                        workspace_id=workspace_id,
                        module_id=module_id,
                        trigger=trigger,
                        recipe=recipe,
                        max_attempts=max_attempts,
                        corrections=count,
                        run_after=now + timedelta(seconds=delay_s),
                        created_at=now,
                        updated_at=now,
                    )
                    self.store._touch_workspace(session, workspace_id)
                    session.add(rows.job_row(job))
                    return job, True
            except StoreError as exc:
                if not isinstance(exc.__cause__, IntegrityError):
                    raise
                # PostgreSQL: a concurrent enqueue won the unique index; the next round returns its job.
        raise JobError(f"could not enqueue a job for {module_id!r}: the queue kept changing under us")

    def enqueue_if_due(
        self, workspace_id: str, module_id: str, *, after: int, trigger: JobTrigger = JobTrigger.CORRECTIONS
    ) -> TrainingJob | None:
        """Queue the module's retraining once `after` corrections arrived since its latest job; the new job or None."""
        if self.new_corrections(workspace_id, module_id) < after:
            return None
        job, created = self.enqueue(workspace_id, module_id, trigger=trigger)
        return job if created else None

    def new_corrections(self, workspace_id: str, module_id: str) -> int:
        """Corrections stored for the module since its latest job was queued (all of them if it has none)."""
        with self.store.transaction() as session:
            count = session.scalar(_correction_count(workspace_id, module_id)) or 0
            latest = session.scalars(
                select(TrainingJobRow)
                .where(TrainingJobRow.workspace_id == workspace_id, TrainingJobRow.module_id == module_id)
                .order_by(TrainingJobRow.created_at.desc())
                .limit(1)
            ).first()
            return count - (rows.to_job(latest).corrections if latest is not None else 0)

    def corrected_modules(self) -> list[tuple[str, str]]:
        """(workspace, module) of every module that has corrections, in any workspace."""
        stmt = select(CorrectionRow.workspace_id, CorrectionRow.module_id).distinct()
        with self.store.transaction() as session:
            return sorted((ws, module) for ws, module in session.execute(stmt))

    # ------------------------------------------------------------------------------------ workers

    def claim(self, worker: str, lease_s: float) -> TrainingJob | None:
        """Take the next due job (queued, or active with an expired lease) under a lease of `lease_s` seconds.

        A redelivered job past `max_attempts` fails for good, and one cancelled while its worker was dead ends
        cancelled; the claim then moves on to the next due job.
        """
        while True:
            with self.store.transaction(write=True) as session:
                now = utcnow()
                due = or_(
                    and_(TrainingJobRow.state == JobState.QUEUED.value, TrainingJobRow.run_after <= now),
                    and_(TrainingJobRow.state.in_(ACTIVE), TrainingJobRow.lease_expires_at < now),
                )
                row = session.scalars(
                    select(TrainingJobRow)
                    .where(due)
                    .order_by(TrainingJobRow.run_after, TrainingJobRow.created_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if row is None:
                    return None
                job = rows.to_job(row)
                redelivered = job.state.active
                if job.cancel_requested:
                    _save(session, job, state=JobState.CANCELLED, lease_expires_at=None, progress=None)
                    continue
                if redelivered and job.attempts >= job.max_attempts:
                    error = (
                        f"its lease expired {job.attempts} times (the worker died or hung each time; "
                        f"last held by {job.lease_owner}); gave up after max_attempts={job.max_attempts}"
                    )
                    _save(session, job, state=JobState.FAILED, error=error, lease_expires_at=None, progress=None)
                    continue
                return _save(
                    session,
                    job,
                    state=JobState.RUNNING,
                    attempts=job.attempts + 1,
                    lease_owner=worker,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    heartbeat_at=now,
                    progress=None,
                )

    def claim_job(self, workspace_id: str, job_id: str, worker: str, lease_s: float) -> TrainingJob:
        """Claim one given queued job (`agentforge train --now` runs its own job in-process)."""
        with self.store.transaction(write=True) as session:
            row = session.get(TrainingJobRow, (workspace_id, job_id), with_for_update=True)
            if row is None:
                raise NotFoundError(f"job {job_id!r} not found in workspace {workspace_id!r}")
            job = rows.to_job(row)
            if job.state is not JobState.QUEUED:
                raise JobError(f"job {job_id} is {job.state.value}, not queued")
            now = utcnow()
            return _save(
                session,
                job,
                state=JobState.RUNNING,
                attempts=job.attempts + 1,
                lease_owner=worker,
                lease_expires_at=now + timedelta(seconds=lease_s),
                heartbeat_at=now,
            )

    def heartbeat(
        self, job: TrainingJob, worker: str, lease_s: float, progress: JobProgress | None = None
    ) -> TrainingJob:
        """Extend the lease (and record progress); the job as stored, whose `cancel_requested` the worker obeys.

        LeaseLostError when another worker holds the job now, or it was finished without us.
        """
        now = utcnow()
        with self.store.transaction(write=True) as session:
            current = self._owned(session, job, worker)
            return _save(
                session,
                current,
                lease_expires_at=now + timedelta(seconds=lease_s),
                heartbeat_at=now,
                progress=progress or current.progress,
            )

    def advance(self, job: TrainingJob, worker: str, state: JobState, **changes: Any) -> TrainingJob:
        """Move an active job to another active state (running → evaluating), as long as we hold it."""
        with self.store.transaction(write=True) as session:
            return _save(session, self._owned(session, job, worker), state=state, **changes)

    def finish(
        self,
        job: TrainingJob,
        worker: str,
        state: JobState,
        *,
        error: str | None = None,
        publication: Publication | None = None,
    ) -> TrainingJob:
        """End the job, committing its publication (adapter row, route) in the same transaction.

        LeaseLostError, and nothing written, when the worker no longer holds the job: exactly one adapter
        version is published per job, by whichever worker held it when it finished.
        """
        if not state.finished:
            raise JobError(f"{state.value} is not a final state")
        with self.store.transaction(write=True) as session:
            current = self._owned(session, job, worker)
            adapter = None
            if publication is not None:
                adapter = publication.adapter.name
                session.add(rows.adapter_row(publication.adapter))
                if publication.retire is not None:
                    _retire(session, job.workspace_id, publication.retire)
                if publication.route is not None:
                    session.merge(rows.route_row(job.workspace_id, job.module_id, publication.route))
            done = _save(
                session,
                current,
                state=state,
                error=error,
                adapter=adapter or current.adapter,
                lease_expires_at=None,
                cancel_requested=False,
            )
        if publication is not None and publication.route is not None:
            self.store.revision += 1
        return done

    def release(self, job: TrainingJob, worker: str) -> TrainingJob:
        """Give a job back unfinished (worker shutting down): due again at once, and the attempt not counted."""
        with self.store.transaction(write=True) as session:
            current = self._owned(session, job, worker)
            return _save(
                session,
                current,
                attempts=max(0, current.attempts - 1),
                lease_expires_at=utcnow() - timedelta(microseconds=1),
                progress=None,
            )

    def retry_later(self, job: TrainingJob, worker: str, error: str, delay_s: float) -> TrainingJob:
        """A failed attempt that may succeed if run again: queued again after `delay_s`, its attempt counted.

        It fails for good instead once it has had `max_attempts`, or when the module has another job queued
        meanwhile (that one trains on the same corrections and more).
        """
        with self.store.transaction(write=True) as session:
            current = self._owned(session, job, worker)
            attempt = f"attempt {current.attempts}/{current.max_attempts} failed: {error}"
            queued = self._queued(session, current.workspace_id, current.module_id)
            final = None
            if current.attempts >= current.max_attempts:
                final = f"{attempt}; gave up after max_attempts={current.max_attempts}"
            elif queued is not None:
                final = f"{attempt}; not retried: job {queued.id} is queued for the module"
            if final is not None:
                return _save(session, current, state=JobState.FAILED, error=final, lease_expires_at=None, progress=None)
            return _save(
                session,
                current,
                state=JobState.QUEUED,
                error=f"{attempt}; retrying in {delay_s:.0f} s",
                lease_expires_at=None,
                run_after=utcnow() + timedelta(seconds=delay_s),
                progress=None,
            )

    # --------------------------------------------------------------------------------------- users

    def cancel(self, workspace_id: str, job_id: str) -> TrainingJob:
        """A queued job is cancelled at once; an active one is asked to stop (its worker ends it `cancelled`)."""
        with self.store.transaction(write=True) as session:
            job = self._get(session, workspace_id, job_id)
            if job.state is JobState.QUEUED:
                return _save(session, job, state=JobState.CANCELLED)
            if job.state.active:
                return _save(session, job, cancel_requested=True)
            raise JobError(f"job {job_id} is already {job.state.value}")

    def retry(self, workspace_id: str, job_id: str) -> TrainingJob:
        """Queue a failed or cancelled job again, with a fresh count of attempts."""
        with self.store.transaction(write=True) as session:
            job = self._get(session, workspace_id, job_id)
            if job.state not in (JobState.FAILED, JobState.CANCELLED):
                raise JobError(f"job {job_id} is {job.state.value}; only failed or cancelled jobs can be retried")
            queued = self._queued(session, workspace_id, job.module_id)
            if queued is not None:
                raise JobError(f"module {job.module_id!r} already has a queued job ({queued.id})")
            return _save(
                session,
                job,
                state=JobState.QUEUED,
                attempts=0,
                error=None,
                cancel_requested=False,
                lease_owner=None,
                lease_expires_at=None,
                heartbeat_at=None,
                run_after=utcnow(),
                progress=None,
            )

    def jobs(
        self, workspace_id: str, *, module_id: str | None = None, states: Sequence[JobState] = ()
    ) -> list[TrainingJob]:
        """Newest first."""
        jobs = self.store.list_jobs(workspace_id, module_id)
        return [j for j in jobs if not states or j.state in states]

    # ------------------------------------------------------------------------------------- helpers

    @staticmethod
    def _queued(session: Session, workspace_id: str, module_id: str) -> TrainingJobRow | None:
        return session.scalars(
            select(TrainingJobRow).where(
                TrainingJobRow.workspace_id == workspace_id,
                TrainingJobRow.module_id == module_id,
                TrainingJobRow.state == JobState.QUEUED.value,
            )
        ).first()

    @staticmethod
    def _get(session: Session, workspace_id: str, job_id: str) -> TrainingJob:
        row = session.get(TrainingJobRow, (workspace_id, job_id), with_for_update=True)
        if row is None:
            raise NotFoundError(f"job {job_id!r} not found in workspace {workspace_id!r}")
        return rows.to_job(row)

    def _owned(self, session: Session, job: TrainingJob, worker: str) -> TrainingJob:
        current = self._get(session, job.workspace_id, job.id)
        if current.lease_owner != worker or not current.state.active:
            raise LeaseLostError(
                f"job {job.id} is no longer held by {worker} "
                f"(it is {current.state.value}, held by {current.lease_owner or 'nobody'})"
            )
        return current


def _correction_count(workspace_id: str, module_id: str) -> Any:
    return select(func.count()).where(CorrectionRow.workspace_id == workspace_id, CorrectionRow.module_id == module_id)


def _save(session: Session, job: TrainingJob, **changes: Any) -> TrainingJob:
    updated = job.model_copy(update={**changes, "updated_at": utcnow()})
    session.merge(rows.job_row(updated))
    return updated


def _retire(session: Session, workspace_id: str, name: str) -> None:
    row = session.get(AdapterRow, (workspace_id, name))
    if row is not None:
        adapter = rows.to_adapter(row).model_copy(update={"status": AdapterStatus.RETIRED})
        session.merge(rows.adapter_row(adapter))

"""The durable job queue's semantics, on SQLite and PostgreSQL (the `store` fixture runs both)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, column, table, text

from agentforge.artifacts import (
    AdapterStatus,
    AdapterVersion,
    ByteSpan,
    Correction,
    JobProgress,
    JobState,
    JobTrigger,
    Language,
    Manifest,
    ModulePlan,
    ModuleSpec,
    Plan,
    Route,
    RouteTaken,
    Trace,
    TrainingJob,
    utcnow,
)
from agentforge.errors import JobError, LeaseLostError, StoreError
from agentforge.store import Store
from agentforge.store.engine import MIGRATIONS_DIR, WRITE, create_store_engine, parse_url
from agentforge.store.queue import JobQueue, Publication
from agentforge.store.tables import TrainingJobRow, UTCDateTime
from agentforge.store.testing import temporary_postgres_database

WS = "ws"
MOD = "app.py::classify"
SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)


def _manifest(modules: list[str]) -> Manifest:
    specs = [
        ModuleSpec(
            id=m,
            name=m.split("::")[1],
            language=Language.PYTHON,
            path=m.split("::")[0],
            span=SPAN,
            body_span=SPAN,
            output_schema={"type": "string"},
        )
        for m in modules
    ]
    plans = [ModulePlan(module_id=m, kind="classify", agent_role="classifier") for m in modules]
    plan = Plan(root="app", base_model="m", modules=plans)
    return Manifest(app_name="app", source_root="app", workspace_id=WS, specs=specs, plan=plan)


def _correct(store: Store, module: str = MOD, n: int = 1) -> None:
    for i in range(n):
        trace = Trace(workspace_id=WS, module_id=module, input={"i": i}, route=RouteTaken(model="m"))
        store.add_trace(trace)
        store.add_correction(Correction(workspace_id=WS, trace_id=trace.id, module_id=module, value="x"))


def _adapter(name: str, status: AdapterStatus = AdapterStatus.CANDIDATE) -> AdapterVersion:
    return AdapterVersion(name=name, workspace_id=WS, module_id=MOD, base_model="m", path=f"/a/{name}", status=status)


def test_one_queued_job_per_module_and_enqueue_is_idempotent(store: Store) -> None:
    queue = JobQueue(store)
    _correct(store, n=2)
    first, created = queue.enqueue(WS, MOD, trigger=JobTrigger.CORRECTIONS)
    again, created_again = queue.enqueue(WS, MOD, trigger=JobTrigger.MANUAL)
    other, _ = queue.enqueue(WS, "app.py::other")
    assert (created, created_again) == (True, False)
    assert again == first and again.trigger is JobTrigger.CORRECTIONS and first.corrections == 2
    assert other.id != first.id
    with pytest.raises(StoreError, match="conflicts"):  # the database itself refuses a second queued row
        store.add_job(TrainingJob(workspace_id=WS, module_id=MOD))
    claimed = queue.claim("w1", lease_s=30)
    assert claimed is not None and claimed.id == first.id
    second, created = queue.enqueue(WS, MOD)  # a running job does not block the next queued one
    assert created and second.id != first.id


def test_concurrent_claimers_never_share_a_job(store: Store) -> None:
    queue = JobQueue(store)
    for i in range(8):
        queue.enqueue(WS, f"app.py::m{i}")
    stores = [Store.open(store.url) for _ in range(4)]
    claimed: list[str] = []
    lock = threading.Lock()

    def drain(index: int) -> None:
        mine = JobQueue(stores[index])
        while (job := mine.claim(f"w{index}", lease_s=30)) is not None:
            with lock:
                claimed.append(job.id)

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(drain, range(4)))
    finally:
        for opened in stores:
            opened.close()
    assert len(claimed) == len(set(claimed)) == 8
    assert all(j.state is JobState.RUNNING and j.attempts == 1 for j in queue.jobs(WS))


@pytest.fixture
def pg_store(postgres_admin: str) -> Iterator[Store]:
    with temporary_postgres_database(postgres_admin) as url, Store.open(url) as opened:
        yield opened


@pytest.mark.postgres
def test_postgres_claim_skips_a_row_another_worker_has_locked(pg_store: Store) -> None:
    store = pg_store
    queue = JobQueue(store)
    older, _ = queue.enqueue(WS, MOD)
    newer, _ = queue.enqueue(WS, "app.py::other")
    engine = create_store_engine(parse_url(store.url))
    try:
        with engine.connect() as locker, locker.begin():
            locker.execute(text("SELECT id FROM jobs WHERE id = :id FOR UPDATE"), {"id": older.id})
            started = time.monotonic()
            claimed = queue.claim("w2", lease_s=30)
            assert time.monotonic() - started < 5  # did not wait for the lock
            assert claimed is not None and claimed.id == newer.id
    finally:
        engine.dispose()
    assert (job := queue.claim("w2", lease_s=30)) is not None and job.id == older.id


def test_an_expired_lease_is_redelivered_and_the_old_worker_is_locked_out(store: Store) -> None:
    queue = JobQueue(store)
    job, _ = queue.enqueue(WS, MOD)
    first = queue.claim("w1", lease_s=0.2)
    assert first is not None and queue.claim("w2", lease_s=30) is None  # leased: not due
    queue.heartbeat(first, "w1", lease_s=0.2, progress=JobProgress(phase="train", done=1, total=9))
    time.sleep(0.3)
    second = queue.claim("w2", lease_s=30)
    assert second is not None and second.id == job.id
    assert (second.attempts, second.lease_owner, second.state) == (2, "w2", JobState.RUNNING)
    with pytest.raises(LeaseLostError, match="held by w2"):
        queue.heartbeat(first, "w1", lease_s=30)
    with pytest.raises(LeaseLostError):
        queue.finish(first, "w1", JobState.PROMOTED, publication=Publication(adapter=_adapter("a@1")))
    assert store.list_adapters(WS) == []  # the locked-out worker published nothing
    done = queue.finish(second, "w2", JobState.REJECTED, publication=Publication(adapter=_adapter("a@1")))
    assert (done.state, done.adapter, done.lease_expires_at) == (JobState.REJECTED, "a@1", None)
    assert [a.name for a in store.list_adapters(WS)] == ["a@1"]


def test_a_job_fails_for_good_after_max_attempts(store: Store) -> None:
    queue = JobQueue(store)
    job, _ = queue.enqueue(WS, MOD, max_attempts=2)
    for _ in range(2):
        assert queue.claim("w", lease_s=0.05) is not None
        time.sleep(0.1)
    assert queue.claim("w", lease_s=30) is None
    failed = store.get_job(WS, job.id)
    assert failed.state is JobState.FAILED and failed.attempts == 2
    assert failed.error is not None and "max_attempts=2" in failed.error


def test_cancel_queued_at_once_running_on_request(store: Store) -> None:
    queue = JobQueue(store)
    queued, _ = queue.enqueue(WS, MOD)
    assert queue.cancel(WS, queued.id).state is JobState.CANCELLED
    running, _ = queue.enqueue(WS, MOD)
    claimed = queue.claim("w", lease_s=30)
    assert claimed is not None and claimed.id == running.id
    asked = queue.cancel(WS, running.id)
    assert asked.state is JobState.RUNNING and asked.cancel_requested
    assert queue.heartbeat(claimed, "w", lease_s=30).cancel_requested  # the worker learns it on its next beat
    assert queue.finish(claimed, "w", JobState.CANCELLED).state is JobState.CANCELLED
    with pytest.raises(JobError, match="already cancelled"):
        queue.cancel(WS, running.id)


def test_a_cancelled_job_whose_worker_died_ends_cancelled(store: Store) -> None:
    queue = JobQueue(store)
    job, _ = queue.enqueue(WS, MOD)
    assert queue.claim("w1", lease_s=0.05) is not None
    queue.cancel(WS, job.id)
    time.sleep(0.1)
    assert queue.claim("w2", lease_s=30) is None
    assert store.get_job(WS, job.id).state is JobState.CANCELLED


def test_retry_requeues_failed_and_cancelled_jobs_only(store: Store) -> None:
    queue = JobQueue(store)
    job, _ = queue.enqueue(WS, MOD)
    claimed = queue.claim("w", lease_s=30)
    assert claimed is not None
    queue.finish(claimed, "w", JobState.FAILED, error="TrainingError: boom")
    retried = queue.retry(WS, job.id)
    assert (retried.state, retried.attempts, retried.error, retried.lease_owner) == (JobState.QUEUED, 0, None, None)
    with pytest.raises(JobError, match="only failed or cancelled"):
        queue.retry(WS, job.id)
    queue.cancel(WS, job.id)
    queue.enqueue(WS, MOD)
    with pytest.raises(JobError, match="already has a queued job"):
        queue.retry(WS, job.id)


def test_release_gives_the_job_back_without_counting_the_attempt(store: Store) -> None:
    queue = JobQueue(store)
    queue.enqueue(WS, MOD)
    claimed = queue.claim("w1", lease_s=30)
    assert claimed is not None
    queue.release(claimed, "w1")
    again = queue.claim("w2", lease_s=30)
    assert again is not None and again.id == claimed.id and again.attempts == 1 and again.lease_owner == "w2"


def test_finish_publishes_adapter_route_and_state_together(store: Store) -> None:
    store.save_manifest(_manifest([MOD]))
    store.add_adapter(_adapter("old@1", AdapterStatus.CHAMPION))
    queue = JobQueue(store)
    queue.enqueue(WS, MOD)
    claimed = queue.claim("w", lease_s=30)
    assert claimed is not None
    evaluating = queue.advance(claimed, "w", JobState.EVALUATING)
    new = _adapter("new@2", AdapterStatus.CHAMPION)
    route = Route(champion="new@2", fallback=["old@1", "base"])
    done = queue.finish(
        evaluating, "w", JobState.PROMOTED, publication=Publication(adapter=new, route=route, retire="old@1")
    )
    assert done.state is JobState.PROMOTED and done.adapter == "new@2"
    assert store.get_route(WS, MOD).champion == "new@2"
    assert store.get_adapter(WS, "old@1").status is AdapterStatus.RETIRED
    with pytest.raises(JobError, match="not a final state"):
        queue.finish(done, "w", JobState.RUNNING)


def test_new_corrections_count_from_the_latest_job(store: Store) -> None:
    queue = JobQueue(store)
    _correct(store, n=3)
    assert queue.new_corrections(WS, MOD) == 3
    queue.enqueue(WS, MOD)
    _correct(store, n=2)
    assert queue.new_corrections(WS, MOD) == 2
    assert queue.corrected_modules() == [(WS, MOD)]


def test_a_store_at_0001_upgrades_in_place(store_url: str) -> None:
    engine = create_store_engine(parse_url(store_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        with engine.execution_options(**WRITE).begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            conn.execute(text("INSERT INTO workspaces (workspace_id, created_at) VALUES ('ws', CURRENT_TIMESTAMP)"))
            jobs = table(
                "jobs",
                *(column(name) for name in ("workspace_id", "id", "module_id", "state")),
                column("created_at", UTCDateTime()),
                column("updated_at", UTCDateTime()),
                column("data", JSON()),
            )
            now = utcnow()
            for job_id, state in (("j1", "running"), ("j2", "promoted")):
                conn.execute(
                    jobs.insert().values(
                        workspace_id=WS,
                        id=job_id,
                        module_id=MOD,
                        state=state,
                        created_at=now,
                        updated_at=now,
                        data={"id": job_id, "workspace_id": WS, "module_id": MOD, "state": state},
                    )
                )
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        interrupted, done = store.get_job(WS, "j1"), store.get_job(WS, "j2")
        assert interrupted.state is JobState.FAILED and "migration 0002" in (interrupted.error or "")
        assert done.state is JobState.PROMOTED and done.attempts == 0 and done.run_after == done.created_at
        assert JobQueue(store).retry(WS, "j1").state is JobState.QUEUED
        with store.transaction() as session:
            assert session.get(TrainingJobRow, (WS, "j1")) is not None


def test_claim_job_takes_one_given_queued_job(store: Store) -> None:
    queue = JobQueue(store)
    other, _ = queue.enqueue(WS, "app.py::other")
    mine, _ = queue.enqueue(WS, MOD)
    claimed = queue.claim_job(WS, mine.id, "inprocess", lease_s=30)
    assert (claimed.id, claimed.state, claimed.attempts, claimed.lease_owner) == (
        mine.id,
        JobState.RUNNING,
        1,
        "inprocess",
    )
    with pytest.raises(JobError, match="not queued"):
        queue.claim_job(WS, mine.id, "inprocess", lease_s=30)
    assert store.get_job(WS, other.id).state is JobState.QUEUED

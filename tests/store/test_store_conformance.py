"""The store conformance suite: every test runs on SQLite and on PostgreSQL (see conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from agentforge.artifacts import (
    AdapterStatus,
    AdapterVersion,
    ByteSpan,
    Canary,
    Correction,
    DetectionReason,
    EvalReport,
    JobState,
    Language,
    Manifest,
    ModulePlan,
    ModuleSpec,
    Param,
    Plan,
    Route,
    RouteTaken,
    Rung,
    Trace,
    TrainingJob,
)
from agentforge.errors import NotFoundError, StoreError
from agentforge.store import Store
from agentforge.store.tables import Base

T0 = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
MOD = "app/reviews.py::classify_review"
MOD2 = "web/src/api.ts::Summarizer.summarize"


def make_spec(module_id: str = MOD) -> ModuleSpec:
    path, name = module_id.split("::")
    span = ByteSpan(start_byte=10, end_byte=200, start_line=3, end_line=12)
    return ModuleSpec(
        id=module_id,
        name=name,
        language=Language.PYTHON if path.endswith(".py") else Language.TYPESCRIPT,
        path=path,
        span=span,
        body_span=span.model_copy(update={"start_byte": 40}),
        params=[Param(name="text", annotation="str", json_schema={"type": "string"})],
        input_schema={"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
        output_annotation="Literal['pos', 'neg']",
        output_schema={"type": "string", "enum": ["pos", "neg"]},
        intent="Classify a review — «positive» or négative.",
        static_example="pos",
        static_source='"pos"',
        reasons=[DetectionReason(code="returns_literal", detail="returns a constant", confidence=0.9)],
        confidence=0.9,
        source_hash="ab" * 32,
    )


def make_manifest(workspace_id: str = "ws", modules: tuple[str, ...] = (MOD, MOD2), champion: str = "base") -> Manifest:
    plans = [
        ModulePlan(module_id=m, kind="classify", agent_role="classifier", route=Route(champion=champion))
        for m in modules
    ]
    return Manifest(
        app_name="reviews",
        source_root="/src/reviews",
        workspace_id=workspace_id,
        specs=[make_spec(m) for m in modules],
        plan=Plan(root="/src/reviews", base_model="SmolLM2-135M-Instruct", modules=plans, created_at=T0),
        built_at=T0,
    )


def make_trace(workspace_id: str = "ws", module_id: str = MOD, at: datetime = T0, **kw: object) -> Trace:
    fields: dict[str, object] = {
        "input": {"text": "great product, 10/10 ✓", "nested": {"n": [1, 2.5, None, True]}},
        "output": "neg",
        "route": RouteTaken(model="SmolLM2-135M-Instruct", adapter="reviews@0123456789ab", rung=Rung.ADAPTER),
        "latency_ms": 12.5,
        "prompt_tokens": 31,
        "completion_tokens": 2,
        "retries": 1,
        **kw,
    }
    return Trace.model_validate({"workspace_id": workspace_id, "module_id": module_id, "created_at": at, **fields})


def correct(trace: Trace, value: object, at: datetime = T0) -> Correction:
    return Correction(
        workspace_id=trace.workspace_id,
        trace_id=trace.id,
        module_id=trace.module_id,
        value=value,
        created_at=at,
    )


def make_adapter(name: str, at: datetime = T0, workspace_id: str = "ws", module_id: str = MOD) -> AdapterVersion:
    return AdapterVersion(
        name=name,
        workspace_id=workspace_id,
        module_id=module_id,
        base_model="SmolLM2-135M-Instruct",
        path=f"/data/adapters/{name}",
        recipe={"r": 8, "alpha": 16, "target_modules": ["q_proj", "v_proj"]},
        data_hash="cd" * 32,
        train_examples=40,
        train_seconds=14.2,
        created_at=at,
    )


# --------------------------------------------------------------------------------- open, migrate


def test_open_twice_is_idempotent_and_schema_matches_models(store_url: str) -> None:
    with Store.open(store_url) as first:
        first.add_trace(trace := make_trace())
    with Store.open(store_url) as second:
        assert second.get_trace("ws", trace.id) == trace
        with second.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0004"
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
        assert second.url == store_url


def test_sqlite_pragmas_on_every_connection(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/nested/dir/store.db"
    with Store.open(url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@127.0.0.1/x", "unsupported store backend"),
        ("not a url", "invalid store URL"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/nothing", "cannot open the store"),
    ],
)
def test_open_failure_is_a_store_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        Store.open(url)


def test_open_on_unwritable_path_is_a_store_error(tmp_path: object) -> None:
    blocker = f"{tmp_path}/file"
    open(blocker, "w").close()
    with pytest.raises(StoreError):
        Store.open(f"sqlite:///{blocker}/store.db")


def test_closed_store_refuses(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_specs("ws")


# ---------------------------------------------------------------------------------- workspaces


def test_ensure_workspace_is_idempotent(store: Store) -> None:
    store.ensure_workspace("ws")
    store.ensure_workspace("ws", "Acme")
    store.ensure_workspace("ws")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT workspace_id, name FROM workspaces")).all() == [("ws", "Acme")]


def test_workspaces_are_isolated(store: Store) -> None:
    store.save_manifest(make_manifest("a"))
    store.add_trace(trace := make_trace("a"))
    store.add_correction(correct(trace, "pos"))
    store.add_adapter(make_adapter("reviews@aaaaaaaaaaaa", workspace_id="a"))
    store.add_job(job := TrainingJob(workspace_id="a", module_id=MOD))

    with pytest.raises(NotFoundError):
        store.get_trace("b", trace.id)
    with pytest.raises(NotFoundError):
        store.add_correction(correct(trace, "pos").model_copy(update={"workspace_id": "b"}))
    with pytest.raises(NotFoundError):
        store.get_spec("b", MOD)
    with pytest.raises(NotFoundError):
        store.get_route("b", MOD)
    with pytest.raises(NotFoundError):
        store.get_adapter("b", "reviews@aaaaaaaaaaaa")
    with pytest.raises(NotFoundError):
        store.get_job("b", job.id)
    assert store.list_traces("b") == []
    assert store.list_specs("b") == []
    assert store.list_examples("b", MOD) == []
    assert store.count_corrections("b", MOD) == 0
    assert store.list_adapters("b") == []
    assert store.list_jobs("b") == []
    # the same ids may exist in another workspace without clashing
    store.add_trace(trace.model_copy(update={"workspace_id": "b", "output": "pos"}))
    assert store.get_trace("b", trace.id).output == "pos"
    assert store.get_trace("a", trace.id).output == "neg"


# ------------------------------------------------------------------------ specs, plans, routes


def test_manifest_round_trip(store: Store) -> None:
    manifest = make_manifest()
    store.save_manifest(manifest)
    assert store.get_spec("ws", MOD) == manifest.specs[0]
    assert store.list_specs("ws") == sorted(manifest.specs, key=lambda s: s.id)
    assert store.get_module_plan("ws", MOD2) == manifest.plan.modules[1]
    assert store.get_route("ws", MOD) == Route()
    with pytest.raises(NotFoundError):
        store.get_spec("ws", "nope.py::f")
    with pytest.raises(NotFoundError):
        store.get_module_plan("ws", "nope.py::f")


def test_route_set_later_survives_a_new_manifest(store: Store) -> None:
    store.save_manifest(make_manifest(modules=(MOD,)))
    route = Route(champion="reviews@0123456789ab", canary=Canary(target="reviews@ba9876543210", fraction=0.1))
    store.set_route("ws", MOD, route)
    store.save_manifest(make_manifest(modules=(MOD, MOD2), champion="planned@000000000000"))

    assert store.get_route("ws", MOD) == route
    assert store.get_module_plan("ws", MOD).route == route
    assert store.get_route("ws", MOD2) == Route(champion="planned@000000000000")  # new module: from the plan
    with pytest.raises(NotFoundError):
        store.set_route("ws", "nope.py::f", route)


# ---------------------------------------------------------------------- traces, corrections


def test_trace_round_trip_and_listing(store: Store) -> None:
    odd = make_trace(at=T0, output={"label": "pos", "why": "nul\x00 byte, emoji 🎉, quote \"'"}, error="x")
    plain = make_trace(module_id=MOD2, at=T0 + timedelta(seconds=1), output=None, fallback_used=True)
    same_time = make_trace(at=T0 + timedelta(seconds=1))
    for trace in (odd, plain, same_time):
        store.add_trace(trace)

    assert store.get_trace("ws", odd.id) == odd
    assert [t.id for t in store.list_traces("ws")] == [same_time.id, plain.id, odd.id]
    assert [t.id for t in store.list_traces("ws", MOD)] == [same_time.id, odd.id]
    assert [t.id for t in store.list_traces("ws", limit=1)] == [same_time.id]
    with pytest.raises(StoreError):
        store.add_trace(odd)  # same id twice
    with pytest.raises(NotFoundError):
        store.get_trace("ws", "missing")


def test_correction_on_unknown_trace_writes_nothing(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.add_correction(Correction(workspace_id="ws", trace_id="missing", module_id=MOD, value="pos"))
    store.add_trace(trace := make_trace())
    with pytest.raises(StoreError, match="module"):
        store.add_correction(correct(trace, "pos").model_copy(update={"module_id": MOD2}))
    assert store.count_corrections("ws", MOD) == 0
    assert store.count_corrections("ws", MOD2) == 0
    assert store.list_examples("ws", MOD) == []


def test_examples_take_the_latest_correction(store: Store) -> None:
    first = make_trace(at=T0, input={"text": "first"})
    second = make_trace(at=T0 + timedelta(minutes=1), input={"text": "second"}, output="pos")
    uncorrected = make_trace(at=T0 + timedelta(minutes=2))
    other_module = make_trace(module_id=MOD2, at=T0)
    for trace in (second, first, uncorrected, other_module):
        store.add_trace(trace)
    store.add_correction(correct(second, "neg", at=T0 + timedelta(hours=1)))
    store.add_correction(correct(first, {"label": "old"}, at=T0 + timedelta(hours=1)))
    store.add_correction(correct(first, {"label": "new"}, at=T0 + timedelta(hours=2)))
    store.add_correction(correct(first, {"label": "older"}, at=T0 + timedelta(minutes=30)))
    store.add_correction(correct(second, "pos", at=T0 + timedelta(hours=1)))  # same instant: the later write wins
    store.add_correction(correct(other_module, "x"))

    examples = store.list_examples("ws", MOD)  # in the order of each trace's latest feedback
    assert [e.trace_id for e in examples] == [second.id, first.id]
    assert examples[1].target == {"label": "new"}
    assert examples[1].input == {"text": "first"}
    assert examples[1].model_output == "neg"
    assert examples[1].route == first.route
    assert examples[0].target == "pos"
    assert examples[0].module_id == MOD
    assert store.count_corrections("ws", MOD) == 5


# ----------------------------------------------------------------------------- adapters, jobs


def test_adapter_crud(store: Store) -> None:
    old = make_adapter("reviews@000000000001", at=T0)
    new = make_adapter("reviews@000000000002", at=T0 + timedelta(days=1))
    elsewhere = make_adapter("summ@000000000003", at=T0 + timedelta(days=2), module_id=MOD2)
    for adapter in (old, new, elsewhere):
        store.add_adapter(adapter)
    assert store.get_adapter("ws", old.name) == old
    assert [a.name for a in store.list_adapters("ws")] == [elsewhere.name, new.name, old.name]
    assert [a.name for a in store.list_adapters("ws", MOD)] == [new.name, old.name]

    report = EvalReport(
        module_id=MOD,
        metric="exact_match",
        n=20,
        champion="base",
        candidate=new.name,
        champion_score=0.55,
        candidate_score=0.8,
        champion_validity=0.9,
        candidate_validity=1.0,
        margin=0.05,
        promoted=True,
        reason="candidate wins by 0.25",
    )
    promoted = new.model_copy(update={"status": AdapterStatus.CHAMPION, "report": report})
    store.update_adapter(promoted)
    assert store.get_adapter("ws", new.name) == promoted
    with pytest.raises(StoreError):
        store.add_adapter(new)  # names are immutable: a retrained adapter is a new name
    with pytest.raises(NotFoundError):
        store.update_adapter(make_adapter("reviews@ffffffffffff"))
    with pytest.raises(NotFoundError):
        store.get_adapter("ws", "reviews@ffffffffffff")


def test_job_crud(store: Store) -> None:
    job = TrainingJob(workspace_id="ws", module_id=MOD, created_at=T0, updated_at=T0)
    later = TrainingJob(workspace_id="ws", module_id=MOD2, created_at=T0 + timedelta(hours=1))
    store.add_job(job)
    store.add_job(later)
    assert store.get_job("ws", job.id) == job
    assert [j.id for j in store.list_jobs("ws")] == [later.id, job.id]
    assert [j.id for j in store.list_jobs("ws", MOD)] == [job.id]

    before = datetime.now(UTC)
    store.update_job(job.model_copy(update={"state": JobState.FAILED, "error": "OOM", "created_at": T0 + timedelta(1)}))
    stored = store.get_job("ws", job.id)
    assert (stored.state, stored.error, stored.created_at) == (JobState.FAILED, "OOM", T0)
    assert stored.updated_at >= before
    with pytest.raises(StoreError):
        store.add_job(job)
    with pytest.raises(NotFoundError):
        store.update_job(TrainingJob(workspace_id="ws", module_id=MOD))
    with pytest.raises(NotFoundError):
        store.get_job("ws", "missing")


# ---------------------------------------------------------------------------------- datetimes


def test_datetimes_come_back_aware_utc(store: Store) -> None:
    tokyo = datetime(2025, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    naive = datetime(2025, 6, 1, 1, 0)  # taken as UTC
    store.add_trace(aware_trace := make_trace(at=tokyo))
    store.add_trace(naive_trace := make_trace(at=naive))
    store.add_job(job := TrainingJob(workspace_id="ws", module_id=MOD, created_at=tokyo, updated_at=tokyo))
    store.add_adapter(make_adapter("reviews@0000000000aa", at=tokyo))

    got = store.get_trace("ws", aware_trace.id).created_at
    assert got == tokyo and got.utcoffset() == timedelta(0)
    assert store.get_trace("ws", naive_trace.id).created_at == naive.replace(tzinfo=UTC)
    stored_job = store.get_job("ws", job.id)
    assert stored_job.created_at.tzinfo is not None and stored_job.created_at == tokyo
    assert store.get_adapter("ws", "reviews@0000000000aa").created_at.utcoffset() == timedelta(0)
    # ordering is by instant, not by the wall-clock digits of the input
    store.add_trace(make_trace(at=datetime(2025, 6, 1, 1, 30, tzinfo=UTC)))
    assert [t.created_at.hour for t in store.list_traces("ws")] == [1, 1, 0]

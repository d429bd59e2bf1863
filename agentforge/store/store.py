"""`Store`: workspaces, specs, plans, routes, traces, corrections, adapters and jobs, on SQLite or PostgreSQL.

Synchronous on purpose (FastAPI runs it in its threadpool, workers call it directly). One session and
one transaction per method; every query is scoped by `workspace_id`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agentforge.artifacts import (
    AdapterVersion,
    CatalogEntries,
    Correction,
    Example,
    FeedbackKind,
    Manifest,
    ModulePlan,
    ModuleSpec,
    Route,
    Trace,
    TrainingJob,
    utcnow,
)
from agentforge.errors import NotFoundError, StoreError
from agentforge.store import rows
from agentforge.store.engine import WRITE, create_store_engine, migrate, parse_url, safe_url
from agentforge.store.tables import (
    AdapterRow,
    AppRow,
    CorrectionRow,
    ModulePlanRow,
    RouteRow,
    SpecRow,
    TraceRow,
    TrainingJobRow,
    WorkspaceRow,
)


class Store:
    """The durable state of agentforge. Open with `Store.open(url)`; close with `close()` or `with`."""

    revision: int = 0
    """Bumped by every write through this object that changes specs, plans or routes, so readers that cache
    them (the runtime) can tell their copy is stale."""

    def __init__(self, engine: Engine, url: str) -> None:
        """Use `Store.open(url)`: it creates the engine and migrates the schema."""
        self._engine = engine
        self._url = url
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**WRITE), expire_on_commit=False)
        self._closed = False

    @classmethod
    def open(cls, url: str) -> Self:
        """Connect, create the SQLite file's directory if needed, and upgrade the schema to head."""
        engine = create_store_engine(parse_url(url))
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url)

    @property
    def url(self) -> str:
        return self._url

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for components that need SQL of their own (e.g. the job queue)."""
        return self._engine

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({safe_url(self._engine.url)!r})"

    def transaction(self, *, write: bool = False) -> AbstractContextManager[Session]:
        """One session in one transaction, for components with SQL of their own (the job queue)."""
        return self._tx(write=write)

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[Session]:
        """One session, one transaction: committed on success, rolled back on any error."""
        if self._closed:
            raise StoreError("the store is closed")
        try:
            with (self._write if write else self._read).begin() as session:
                yield session
        except IntegrityError as exc:
            raise StoreError(f"the write conflicts with stored data: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"store operation failed: {exc}") from exc

    # ------------------------------------------------------------------------------ workspaces

    def _touch_workspace(self, session: Session, workspace_id: str, name: str | None = None) -> None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(WorkspaceRow).values(workspace_id=workspace_id, name=name, created_at=utcnow())
        if name is None:
            session.execute(stmt.on_conflict_do_nothing(index_elements=["workspace_id"]))
        else:
            session.execute(
                stmt.on_conflict_do_update(index_elements=["workspace_id"], set_={"name": stmt.excluded.name})
            )

    def ensure_workspace(self, workspace_id: str, name: str | None = None) -> None:
        """Create the workspace if it is new; set its name when one is given. Idempotent.

        Writes create their workspace implicitly, so calling this first is optional.
        """
        with self._tx(write=True) as session:
            self._touch_workspace(session, workspace_id, name)

    # ----------------------------------------------------------------------- specs and plans

    def save_manifest(self, manifest: Manifest) -> None:
        """Upsert the app, its specs and its module plans; a module's route is set from the plan only once."""
        ws, app, now = manifest.workspace_id, manifest.app_name, utcnow()
        self.revision += 1
        with self._tx(write=True) as session:
            self._touch_workspace(session, ws)
            session.merge(rows.app_row(manifest))
            for spec in manifest.specs:
                session.merge(rows.spec_row(ws, app, spec, now))
            plans = manifest.plan.modules
            routed = set(
                session.scalars(
                    select(RouteRow.module_id).where(
                        RouteRow.workspace_id == ws, RouteRow.module_id.in_([p.module_id for p in plans])
                    )
                )
            )
            for plan in plans:
                session.merge(rows.plan_row(ws, app, plan, now))
            session.flush()  # plan rows first: the routes' foreign key points at them
            session.add_all(rows.route_row(ws, p.module_id, p.route) for p in plans if p.module_id not in routed)

    def workspace_catalog(self, workspace_id: str) -> CatalogEntries:
        """The catalog entries of the workspace's apps (`Manifest.catalog`), the latest built winning by name."""
        stmt = select(AppRow.data).where(AppRow.workspace_id == workspace_id).order_by(AppRow.built_at)
        merged = CatalogEntries()
        with self._tx() as session:
            for data in session.scalars(stmt):
                entries = CatalogEntries.model_validate(data.get("catalog") or {})
                merged.kinds.update(entries.kinds)
                merged.roles.update(entries.roles)
        return merged

    def get_spec(self, workspace_id: str, module_id: str) -> ModuleSpec:
        with self._tx() as session:
            row = session.get(SpecRow, (workspace_id, module_id))
            if row is None:
                raise NotFoundError(f"module {module_id!r} not found in workspace {workspace_id!r}")
            return ModuleSpec.model_validate(row.data)

    def list_specs(self, workspace_id: str) -> list[ModuleSpec]:
        with self._tx() as session:
            found = session.scalars(
                select(SpecRow).where(SpecRow.workspace_id == workspace_id).order_by(SpecRow.module_id)
            )
            return [ModuleSpec.model_validate(row.data) for row in found]

    def get_module_plan(self, workspace_id: str, module_id: str) -> ModulePlan:
        """The module's plan, with its current route (which may differ from the planned one)."""
        with self._tx() as session:
            row = session.get(ModulePlanRow, (workspace_id, module_id))
            if row is None:
                raise NotFoundError(f"no plan for module {module_id!r} in workspace {workspace_id!r}")
            route = session.get(RouteRow, (workspace_id, module_id))
            data = row.data if route is None else {**row.data, "route": route.data}
            return ModulePlan.model_validate(data)

    def get_route(self, workspace_id: str, module_id: str) -> Route:
        with self._tx() as session:
            row = session.get(RouteRow, (workspace_id, module_id))
            if row is None:
                raise NotFoundError(f"no route for module {module_id!r} in workspace {workspace_id!r}")
            return Route.model_validate(row.data)

    def set_route(self, workspace_id: str, module_id: str, route: Route) -> None:
        """Replace the module's current route. NotFoundError if the module has no plan."""
        self.revision += 1
        with self._tx(write=True) as session:
            if session.get(ModulePlanRow, (workspace_id, module_id)) is None:
                raise NotFoundError(f"no plan for module {module_id!r} in workspace {workspace_id!r}")
            session.merge(rows.route_row(workspace_id, module_id, route))

    # ------------------------------------------------------------------- traces, corrections

    def add_trace(self, trace: Trace) -> None:
        self.add_traces([trace])

    def add_traces(self, traces: Sequence[Trace]) -> None:
        """Several traces in one transaction (one commit, one fsync): how the runtime's trace writer groups them."""
        with self._tx(write=True) as session:
            for workspace_id in dict.fromkeys(t.workspace_id for t in traces):
                self._touch_workspace(session, workspace_id)
            session.add_all([rows.trace_row(trace) for trace in traces])

    def get_trace(self, workspace_id: str, trace_id: str) -> Trace:
        with self._tx() as session:
            row = session.scalar(select(TraceRow).where(TraceRow.workspace_id == workspace_id, TraceRow.id == trace_id))
            if row is None:
                raise NotFoundError(f"trace {trace_id!r} not found in workspace {workspace_id!r}")
            return rows.to_trace(row)

    def list_traces(self, workspace_id: str, module_id: str | None = None, limit: int = 100) -> list[Trace]:
        """Newest first."""
        stmt = select(TraceRow).where(TraceRow.workspace_id == workspace_id)
        if module_id is not None:
            stmt = stmt.where(TraceRow.module_id == module_id)
        stmt = stmt.order_by(TraceRow.created_at.desc(), TraceRow.seq.desc()).limit(limit)
        with self._tx() as session:
            return [rows.to_trace(row) for row in session.scalars(stmt)]

    def add_correction(self, correction: Correction) -> None:
        """Store a correction, committed (durable) before returning.

        NotFoundError if its trace is not in its workspace; StoreError if the trace is of another module.
        Either way nothing is written. Validating the value against the output schema is the caller's job.
        """
        ws = correction.workspace_id
        with self._tx(write=True) as session:
            module_id = session.scalar(
                select(TraceRow.module_id).where(TraceRow.workspace_id == ws, TraceRow.id == correction.trace_id)
            )
            if module_id is None:
                raise NotFoundError(f"trace {correction.trace_id!r} not found in workspace {ws!r}")
            if module_id != correction.module_id:
                raise StoreError(
                    f"correction is for module {correction.module_id!r} "
                    f"but trace {correction.trace_id!r} is of module {module_id!r}"
                )
            session.add(rows.correction_row(correction))

    def count_corrections(self, workspace_id: str, module_id: str) -> int:
        """Every stored correction of the module (a re-corrected trace counts each time)."""
        stmt = select(func.count()).where(
            CorrectionRow.workspace_id == workspace_id, CorrectionRow.module_id == module_id
        )
        with self._tx() as session:
            return session.scalar(stmt) or 0

    def list_examples(self, workspace_id: str, module_id: str) -> list[Example]:
        """Supervised examples from each trace's latest feedback, in the order that feedback was given.

        A correction or an edit gives its value as the target, an up-rating the trace's own output; a
        down-rating gives no target, but its output joins `rejected` of every example with the same input
        (preference data). Deduplicating inputs is the dataset's job (`learn.dataset.dedupe_examples`).
        """
        stmt = (
            select(TraceRow, CorrectionRow)
            .join(
                CorrectionRow,
                and_(CorrectionRow.workspace_id == TraceRow.workspace_id, CorrectionRow.trace_id == TraceRow.id),
            )
            .where(TraceRow.workspace_id == workspace_id, TraceRow.module_id == module_id)
            .order_by(CorrectionRow.created_at, CorrectionRow.seq)
        )
        with self._tx() as session:
            latest: dict[str, tuple[Trace, Correction]] = {}
            for trace_row, correction_row in session.execute(stmt):
                latest.pop(trace_row.id, None)  # re-inserted last: the dict keeps feedback order
                latest[trace_row.id] = (rows.to_trace(trace_row), Correction.model_validate(correction_row.data))
        examples: list[Example] = []
        rejected: dict[str, list[Any]] = {}
        for trace, feedback in latest.values():
            if feedback.kind is FeedbackKind.RATING and feedback.rating == "down":
                rejected.setdefault(_input_text(trace.input), []).append(trace.output)
                continue
            examples.append(
                Example(
                    trace_id=trace.id,
                    module_id=trace.module_id,
                    input=trace.input,
                    model_output=trace.output,
                    target=feedback.value,
                    route=trace.route,
                    feedback=feedback.kind,
                    tool_calls=trace.tool_calls,
                )
            )
        for example in examples:
            example.rejected = [o for o in rejected.get(_input_text(example.input), []) if o != example.target]
        return examples

    # ----------------------------------------------------------------------- adapters, jobs

    def add_adapter(self, adapter: AdapterVersion) -> None:
        """StoreError if the name exists: adapter names are immutable, a retrained one is a new name."""
        with self._tx(write=True) as session:
            self._touch_workspace(session, adapter.workspace_id)
            session.add(rows.adapter_row(adapter))

    def update_adapter(self, adapter: AdapterVersion) -> None:
        """Replace the stored card (status, report ...) of an existing adapter."""
        with self._tx(write=True) as session:
            if session.get(AdapterRow, (adapter.workspace_id, adapter.name)) is None:
                raise NotFoundError(f"adapter {adapter.name!r} not found in workspace {adapter.workspace_id!r}")
            session.merge(rows.adapter_row(adapter))

    def get_adapter(self, workspace_id: str, name: str) -> AdapterVersion:
        with self._tx() as session:
            row = session.get(AdapterRow, (workspace_id, name))
            if row is None:
                raise NotFoundError(f"adapter {name!r} not found in workspace {workspace_id!r}")
            return rows.to_adapter(row)

    def list_adapters(self, workspace_id: str, module_id: str | None = None) -> list[AdapterVersion]:
        """Newest first."""
        stmt = select(AdapterRow).where(AdapterRow.workspace_id == workspace_id)
        if module_id is not None:
            stmt = stmt.where(AdapterRow.module_id == module_id)
        with self._tx() as session:
            found = session.scalars(stmt.order_by(AdapterRow.created_at.desc(), AdapterRow.name))
            return [rows.to_adapter(row) for row in found]

    def add_job(self, job: TrainingJob) -> None:
        with self._tx(write=True) as session:
            self._touch_workspace(session, job.workspace_id)
            session.add(rows.job_row(job))

    def update_job(self, job: TrainingJob) -> None:
        """Replace the job's state, adapter and error; `updated_at` becomes now, `created_at` is kept."""
        with self._tx(write=True) as session:
            row = session.get(TrainingJobRow, (job.workspace_id, job.id))
            if row is None:
                raise NotFoundError(f"job {job.id!r} not found in workspace {job.workspace_id!r}")
            new = rows.job_row(job.model_copy(update={"created_at": row.created_at, "updated_at": utcnow()}))
            session.merge(new)

    def get_job(self, workspace_id: str, job_id: str) -> TrainingJob:
        with self._tx() as session:
            row = session.get(TrainingJobRow, (workspace_id, job_id))
            if row is None:
                raise NotFoundError(f"job {job_id!r} not found in workspace {workspace_id!r}")
            return rows.to_job(row)

    def list_jobs(self, workspace_id: str, module_id: str | None = None) -> list[TrainingJob]:
        """Newest first."""
        stmt = select(TrainingJobRow).where(TrainingJobRow.workspace_id == workspace_id)
        if module_id is not None:
            stmt = stmt.where(TrainingJobRow.module_id == module_id)
        with self._tx() as session:
            found = session.scalars(stmt.order_by(TrainingJobRow.created_at.desc(), TrainingJobRow.id))
            return [rows.to_job(row) for row in found]


def _input_text(inputs: dict[str, Any]) -> str:
    """Equal inputs give equal text (sorted keys)."""
    return json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

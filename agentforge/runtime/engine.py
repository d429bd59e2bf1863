"""Serve module calls: pick a route, ask the model, validate, fall back, and record a trace."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentforge.artifacts import (
    DEFAULT_WORKSPACE,
    Correction,
    Example,
    ModulePlan,
    ModuleSpec,
    Route,
    RouteTaken,
    Rung,
    ToolCall,
    Trace,
)
from agentforge.catalog import Catalog, catalog_with
from agentforge.errors import (
    InvalidInputError,
    ModelError,
    NotFoundError,
    OutputValidationError,
)
from agentforge.llm.base import Message, Model
from agentforge.runtime.agents import AgentTask, ResponseTotals, run_agent
from agentforge.runtime.embeddings import retriever_from_env
from agentforge.runtime.head import head_answer
from agentforge.runtime.metrics import RuntimeMetrics
from agentforge.runtime.prompts import fit_examples, render_messages
from agentforge.runtime.retrieval import ExampleIndex, Exclusion, Retriever, document_text
from agentforge.runtime.tagger import Taggers
from agentforge.runtime.targets import BACKEND_PREFIX, CENTROID, HEAD, STATIC, Step, route_steps
from agentforge.runtime.tools import call_tools
from agentforge.runtime.trace_writer import TraceWriter
from agentforge.runtime.validation import check_correction, fits, schema_errors
from agentforge.runtime.vote import vote
from agentforge.store import Store
from agentforge.store.queue import JobQueue

ROUTE_CACHE_S = 5.0
"""How long the runtime trusts its copy of specs, plans, routes and retrieval indexes. Changes made through
the engine's own store show at once; changes made by another process (a worker promoting an adapter, a
correction stored elsewhere) within this time."""


def canary_bucket(request_id: str) -> float:
    """A stable number in [0, 1) per request id, so a canary is sticky for a request."""
    return int(hashlib.sha256(request_id.encode()).hexdigest()[:8], 16) / 2**32


def pick_target(route: Route, request_id: str | None) -> str:
    if route.canary and request_id is not None and canary_bucket(request_id) < route.canary.fraction:
        return route.canary.target
    return route.champion


def workspace_catalog(store: Store, workspace_id: str) -> Catalog:
    """The built-in catalog with the entries the workspace's apps were built with (`Manifest.catalog`)."""
    return catalog_with(store.workspace_catalog(workspace_id), source=f"workspace {workspace_id}")


class Engine:
    """One workspace's runtime: the store says what each module is and where it routes."""

    def __init__(
        self,
        store: Store,
        model: Model,
        *,
        workspace_id: str = DEFAULT_WORKSPACE,
        catalog: Catalog | None = None,
        metrics: RuntimeMetrics | None = None,
        backends: Mapping[str, Model] | None = None,
        retriever: Retriever | None = None,
        train_after: int | None = None,
    ) -> None:
        self.store = store
        self.train_after = train_after
        """Queue a module's retraining once this many corrections arrived since its latest job (None: never)."""
        self.model = model
        self.backends = dict(backends or {})
        """Other back ends a route can fall back on, by name (route target `backend:NAME`)."""
        self.workspace_id = workspace_id
        self._given_catalog = catalog
        self._catalog = catalog
        self.metrics = metrics or RuntimeMetrics()
        self._traces = TraceWriter(store, on_error=self.metrics.trace_write_errors.inc)
        self._specs: list[ModuleSpec] = []
        self._plans: dict[str, ModulePlan] = {}
        self._cached_at = (-1, 0.0)  # (store revision, monotonic time) of the copy
        self.retriever: Retriever = retriever or retriever_from_env()
        """Finds the past corrections a `+examples` rung shows the model (`$AGENTFORGE_RETRIEVER`, BM25 by default,
        unless given)."""
        self._indexes: dict[str, _CachedIndex] = {}
        self._compact_adapters: dict[str, bool] = {}
        self.taggers = Taggers(lambda name: Path(self.store.get_adapter(self.workspace_id, name).path))
        """The span taggers of the workspace's adapter versions (`tagger:NAME` targets)."""

    def _fresh(self) -> None:
        """Drop the cached specs and plans when the store changed them or they are older than ROUTE_CACHE_S."""
        revision, at = self._cached_at
        now = time.monotonic()
        if revision != self.store.revision or now - at > ROUTE_CACHE_S:
            self._specs = self.store.list_specs(self.workspace_id)
            self._plans = {}
            self._catalog = self._given_catalog
            self._cached_at = (self.store.revision, now)

    @property
    def catalog(self) -> Catalog:
        """The catalog given, else the built-in one with the workspace's own entries (`Manifest.catalog`), cached
        like the plans."""
        self._fresh()
        if self._catalog is None:
            self._catalog = workspace_catalog(self.store, self.workspace_id)
        return self._catalog

    def plan(self, module_id: str) -> ModulePlan:
        """The module's plan with its current route (cached, see ROUTE_CACHE_S)."""
        self._fresh()
        found = self._plans.get(module_id)
        if found is None:
            found = self._plans[module_id] = self.store.get_module_plan(self.workspace_id, module_id)
        return found

    def spec(self, module_ref: str) -> ModuleSpec:
        """Find a module by its id, or by its function name when that is unique."""
        self._fresh()
        specs = self._specs
        exact = [s for s in specs if s.id == module_ref]
        matches = exact or [s for s in specs if module_ref in (s.name, s.name.rsplit(".", 1)[-1])]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFoundError(f"unknown module {module_ref!r} in workspace {self.workspace_id!r}")
        raise NotFoundError(f"module name {module_ref!r} is ambiguous: {', '.join(s.id for s in matches)}")

    def _check_inputs(self, spec: ModuleSpec, inputs: dict[str, Any]) -> None:
        errors = schema_errors(spec.input_schema, inputs) if spec.input_schema else []
        if errors:
            where = ".".join(str(p) for p in errors[0].path) or "input"
            raise InvalidInputError(f"input for {spec.id} does not fit its signature at {where!r}: {errors[0].message}")

    def ensure_adapter(self, name: str) -> None:
        """Make a registered adapter resident in the model (a no-op when it already is)."""
        if self.model.has_adapter(name):
            return
        adapter = self.store.get_adapter(self.workspace_id, name)
        self.model.load_adapter(name, Path(adapter.path))

    def messages_for(self, module_ref: str, inputs: dict[str, Any]) -> list[Message]:
        """The prompt a call of the module sends to the model (kind and role templates filled with `inputs`;
        no retrieved examples: what bridges send and adapters are trained on)."""
        spec = self.spec(module_ref)
        plan = self.plan(spec.id)
        return render_messages(self.catalog.kind(plan.kind), self.catalog.role(plan.agent_role), spec, inputs)

    def route_targets(self, module_ref: str, request_id: str | None = None) -> list[str | None]:
        """The adapters a call of the module would try, in order (champion or sticky canary, then the fallback
        chain, up to the static value); `None` stands for the base model."""
        spec = self.spec(module_ref)
        route = self.plan(spec.id).route
        targets: list[str | None] = []
        for step in route_steps(route, pick_target(route, request_id), explicit=False):
            if step.target == STATIC:
                break
            if step.vote or step.tagger:
                continue
            if not step.target.startswith(BACKEND_PREFIX) and step.adapter not in targets:
                targets.append(step.adapter)
        return targets

    def _model_for(self, step: Step) -> Model:
        """The model that answers a route step (with its adapter made resident)."""
        if step.target.startswith(BACKEND_PREFIX):
            name = step.target.removeprefix(BACKEND_PREFIX)
            if name not in self.backends:
                raise NotFoundError(f"no back end named {name!r} is configured (route target {step.target!r})")
            return self.backends[name]
        if step.adapter is not None:
            self.ensure_adapter(step.adapter)
        return self.model

    def example_index(self, module_id: str) -> ExampleIndex:
        """The module's retrieval index over its corrections, rebuilt when they change.

        Trusted for ROUTE_CACHE_S, then kept as long as the store's count of the module's corrections is
        unchanged; `correct` drops it at once."""
        now = time.monotonic()
        cached = self._indexes.get(module_id)
        if cached is not None and now - cached.checked_at <= ROUTE_CACHE_S:
            return cached.index
        count = self.store.count_corrections(self.workspace_id, module_id)
        if cached is None or cached.count != count:
            examples = self.store.list_examples(self.workspace_id, module_id)
            cached = _CachedIndex(self.retriever.index(examples), count, now)
        cached.checked_at = now
        self._indexes[module_id] = cached
        return cached.index

    def retrieve(
        self, module_ref: str, inputs: dict[str, Any], k: int, exclude: Exclusion | None = None
    ) -> list[Example]:
        """The `k` past corrections of the module most similar to `inputs`, most similar first."""
        return self.example_index(self.spec(module_ref).id).search(inputs, k, exclude)

    def _examples_for(
        self, spec: ModuleSpec, plan: ModulePlan, inputs: dict[str, Any], k: int, exclude: Exclusion
    ) -> list[Example]:
        """The retrieved corrections a step's prompt shows: up to `k`, as many as the prompt has room for."""
        if k == 0:
            return []
        found = self.example_index(spec.id).search(inputs, k, exclude)
        return fit_examples(self.catalog.kind(plan.kind), spec, found)

    def _compact(self, adapter: str | None) -> bool:
        """Whether the adapter was trained on the compact label prompt (`Recipe.prompt`, resolved when trained):
        it is served exactly so. Adapters are immutable, so the answer is kept."""
        if adapter is None:
            return False
        if adapter not in self._compact_adapters:
            try:
                stored = self.store.get_adapter(self.workspace_id, adapter).recipe.get("prompt")
            except NotFoundError:
                return False  # resident in the model but not registered: trained elsewhere, on the full prompt
            self._compact_adapters[adapter] = stored == "compact"
        return self._compact_adapters[adapter]

    def trained_prompt(self, adapter: str, *, compact: bool) -> None:
        """Say which prompt a freshly trained adapter learned, before it is registered (the gate evaluates it
        first): it must be asked exactly so."""
        self._compact_adapters[adapter] = compact

    def _vote(
        self, spec: ModuleSpec, inputs: dict[str, Any], step: Step, exclude: Exclusion
    ) -> tuple[Any, list[Example]]:
        """A `nearest`, `centroid` or `head` step's answer: the module's corrections vote (`runtime/vote.py`), or a
        head fitted on them answers (`runtime/head.py`)."""
        if step.target == HEAD:
            return head_answer(self.example_index(spec.id), inputs, exclude=exclude, fits=fits(spec.output_schema))
        return vote(
            self.example_index(spec.id),
            inputs,
            neighbours=step.examples,
            centroid=step.target == CENTROID,
            exclude=exclude,
            fits=fits(spec.output_schema),
        )

    async def _ask(
        self,
        spec: ModuleSpec,
        plan: ModulePlan,
        inputs: dict[str, Any],
        adapter: str | None,
        model: Model,
        examples: list[Example],
        tool_calls: list[ToolCall],
    ) -> tuple[Any, ResponseTotals]:
        """The output of the agent the plan's framework runs, checked against the module's contract."""
        kind = self.catalog.kind(plan.kind)
        role = self.catalog.role(plan.agent_role)
        task = AgentTask(
            kind=kind,
            role=role,
            spec=spec,
            messages=render_messages(
                kind, role, spec, inputs, examples, tool_calls=tool_calls, compact=self._compact(adapter)
            ),
            model=model,
            adapter=adapter,
            max_retries=plan.policy.max_retries,
            timeout_s=plan.policy.timeout_s,
            max_new_tokens=plan.policy.max_new_tokens,
            reviewer=self.catalog.role(plan.reviewer) if plan.reviewer is not None else None,
            review_rounds=plan.policy.review_rounds,
        )
        return await run_agent(plan.framework, task), task.totals

    async def invoke(
        self,
        module_ref: str,
        inputs: dict[str, Any],
        *,
        request_id: str | None = None,
        target: str | None = None,
        record: bool = True,
        exclude: Exclusion | None = None,
    ) -> Trace:
        """Answer one call.

        `target` forces one route target, as evaluation does: `base`, an adapter, `backend:NAME`, `static`, any
        but `static` with `+examples[:K]` (see `agentforge.runtime.targets`). `exclude` says which corrections
        retrieval must not show; by default nothing for served calls and, for `record=False` calls (evaluation),
        `Exclusion.evaluation()`: the held-out split and the input itself, so a score never sees its answer.
        """
        spec = self.spec(module_ref)
        self._check_inputs(spec, inputs)
        plan = self.plan(spec.id)
        steps = route_steps(plan.route, target or pick_target(plan.route, request_id), explicit=target is not None)
        if exclude is None:
            exclude = Exclusion() if record else Exclusion.evaluation()
        started = time.perf_counter()
        tool_calls: list[ToolCall] = []
        if plan.tools:

            async def invoke_tool(tool_id: str, tool_inputs: dict[str, Any]) -> Trace:
                return await self.invoke(tool_id, tool_inputs, request_id=request_id, record=record)

            tool_calls = await call_tools(spec, plan.tools, inputs, self.model, self.spec, invoke_tool)
        errors: list[str] = []
        trace: Trace | None = None
        for step in steps:
            if step.target == STATIC:
                break
            try:
                if step.vote:
                    output, examples = self._vote(spec, inputs, step, exclude)
                    totals = ResponseTotals(model=f"{step.target}/{self.retriever.name}")
                elif step.tagger and step.adapter is not None:
                    output, examples = self.taggers.answer(step.adapter, document_text(inputs), spec.output_schema), []
                    totals = ResponseTotals(model="tagger")
                else:
                    model = self._model_for(step)
                    examples = self._examples_for(spec, plan, inputs, step.examples, exclude)
                    output, totals = await self._ask(spec, plan, inputs, step.adapter, model, examples, tool_calls)
            except (ModelError, OutputValidationError, NotFoundError, TimeoutError) as exc:
                errors.append(f"{step.text}: {str(exc) or type(exc).__name__}")
                continue
            trace = Trace(
                workspace_id=self.workspace_id,
                module_id=spec.id,
                input=inputs,
                output=output,
                route=RouteTaken(
                    model=totals.model,
                    adapter=step.adapter,
                    rung=step.rung,
                    examples=[e.trace_id for e in reversed(examples)],
                ),
                prompt_tokens=totals.prompt_tokens,
                completion_tokens=totals.completion_tokens,
                retries=totals.retries,
                error="; ".join(errors) or None,
                tool_calls=tool_calls,
            )
            break
        if trace is None:
            if not (plan.policy.static_fallback and Step(STATIC) in steps and spec.static_example is not None):
                raise OutputValidationError(f"every route failed for {spec.id}: {'; '.join(errors)}")
            trace = Trace(
                workspace_id=self.workspace_id,
                module_id=spec.id,
                input=inputs,
                output=spec.static_example,
                route=RouteTaken(model=STATIC, rung=Rung.STATIC),
                fallback_used=True,
                error="; ".join(errors) or None,
                tool_calls=tool_calls,
            )
        trace.latency_ms = (time.perf_counter() - started) * 1000
        if record:
            self._traces.submit(trace)
            self.metrics.observe(trace)
        return trace

    def get_trace(self, trace_id: str) -> Trace:
        """A recorded call, once every trace answered so far is written."""
        self._traces.flush()
        return self.store.get_trace(self.workspace_id, trace_id)

    def flush_traces(self) -> None:
        """Wait until every trace answered so far is committed to the store."""
        self._traces.flush()

    def close(self) -> None:
        """Write the last traces and stop the writer (the store stays open: it belongs to the caller)."""
        self._traces.close()

    def correct(self, trace_id: str, value: Any) -> Correction:
        """Store a user's corrected output once it fits the module's output schema; nothing otherwise."""
        trace = self.get_trace(trace_id)
        spec = self.store.get_spec(self.workspace_id, trace.module_id)
        check_correction(spec.output_schema, value)
        correction = Correction(
            workspace_id=self.workspace_id, trace_id=trace.id, module_id=trace.module_id, value=value, route=trace.route
        )
        return self.add_feedback(correction)

    def add_feedback(self, correction: Correction) -> Correction:
        """Store feedback already validated (see `agentforge.learn.feedback`); what depends on it follows."""
        self.store.add_correction(correction)
        if self.train_after:
            JobQueue(self.store).enqueue_if_due(self.workspace_id, correction.module_id, after=self.train_after)
        self._indexes.pop(correction.module_id, None)
        self.metrics.corrections.labels(self.workspace_id, correction.module_id).inc()
        return correction


@dataclass
class _CachedIndex:
    index: ExampleIndex
    count: int
    """The module's stored corrections when the index was built."""
    checked_at: float


__all__ = ["Engine", "canary_bucket", "pick_target"]

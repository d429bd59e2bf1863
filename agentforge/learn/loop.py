"""One training job, end to end: corrections → dataset → LoRA → evaluation gate → promotion.

This is the glue between the runtime (which answers, and so evaluates) and the learn pieces.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentforge.artifacts import (
    AdapterStatus,
    AdapterVersion,
    EvalReport,
    Example,
    JobState,
    ModuleSpec,
    Route,
    TrainingJob,
    utcnow,
)
from agentforge.config import Paths
from agentforge.errors import AgentforgeError, TrainingError
from agentforge.learn.card import AdapterCard, adapter_name, write_card
from agentforge.learn.dataset import TrainItem, data_hash, export_alpaca, split_examples
from agentforge.learn.gate import decide
from agentforge.learn.metrics import metric_for
from agentforge.learn.recipe import Recipe
from agentforge.learn.trainer import train_lora
from agentforge.llm.base import Message
from agentforge.runtime import Engine
from agentforge.runtime.prompts import render_inputs, render_messages, render_target
from agentforge.store import Store

Progress = Callable[[str, int, int], None]
"""`(phase, done, total)`: phases are `train` and `evaluate …`."""
FormatText = Callable[[list[Message], str], tuple[str, str]]


@dataclass
class Evaluation:
    target: str
    scores: list[float]
    valid: list[bool]
    outputs: list[Any]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0


@dataclass
class TrainOutcome:
    job: TrainingJob
    adapter: AdapterVersion
    report: EvalReport
    champion: Evaluation
    candidate: Evaluation
    train_examples: int
    heldout: list[Example]


def _items(engine: Engine, spec: ModuleSpec, examples: list[Example]) -> list[TrainItem]:
    plan = engine.store.get_module_plan(engine.workspace_id, spec.id)
    kind, role = engine.catalog.kind(plan.kind), engine.catalog.role(plan.agent_role)
    return [
        TrainItem(messages=render_messages(kind, role, spec, ex.input), target=render_target(kind, spec, ex.target))
        for ex in examples
    ]


async def evaluate(
    engine: Engine,
    spec: ModuleSpec,
    examples: list[Example],
    target: str,
    progress: Progress | None = None,
    label: str = "evaluate",
) -> Evaluation:
    """Answer the held-out inputs through `target` (not recorded as traffic) and score them."""
    plan = engine.store.get_module_plan(engine.workspace_id, spec.id)
    metric = metric_for(engine.catalog.kind(plan.kind).metric)
    result = Evaluation(target=target, scores=[], valid=[], outputs=[])
    for i, ex in enumerate(examples):
        try:
            trace = await engine.invoke(spec.id, ex.input, target=target, record=False)
            output, ok = trace.output, not trace.fallback_used
        except AgentforgeError:
            output, ok = None, False
        result.outputs.append(output)
        result.valid.append(ok)
        result.scores.append(metric.score(output, ex.target))
        if progress:
            progress(label, i + 1, len(examples))
    return result


def train_module(
    engine: Engine,
    module_ref: str,
    data: Paths,
    *,
    recipe: Recipe,
    model_dir: Path,
    base_model: str,
    format_text: FormatText,
    progress: Progress | None = None,
) -> TrainOutcome:
    store, ws = engine.store, engine.workspace_id
    spec = engine.spec(module_ref)
    job = TrainingJob(workspace_id=ws, module_id=spec.id)
    store.add_job(job)

    def move(state: JobState, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(job, key, value)
        job.state, job.updated_at = state, utcnow()
        store.update_job(job)

    try:
        train, held = split_examples(store.list_examples(ws, spec.id))
        if len(train) < recipe.min_examples or not held:
            raise TrainingError(
                f"{spec.id} has {len(train)} training and {len(held)} held-out corrections; "
                f"need at least {recipe.min_examples} and 1"
            )
        items = _items(engine, spec, train)
        items_hash = data_hash(items)
        name = adapter_name(spec.id, base_model=base_model, recipe=recipe, data_hash=items_hash)
        out_dir = data.adapters / ws / name.replace("@", "--")
        move(JobState.RUNNING, adapter=name)
        result = train_lora(
            model_dir,
            items,
            recipe,
            out_dir,
            format_text=format_text,
            progress=(lambda step, total: progress("train", step, total)) if progress else None,
        )
        move(JobState.EVALUATING)
        route = store.get_route(ws, spec.id)
        adapter = AdapterVersion(
            name=name,
            workspace_id=ws,
            module_id=spec.id,
            base_model=base_model,
            path=str(out_dir),
            recipe=recipe.model_dump(mode="json"),
            data_hash=items_hash,
            train_examples=len(items),
            train_seconds=result.seconds,
        )
        store.add_adapter(adapter)
        champion, candidate = asyncio.run(_evaluate_both(engine, spec, held, route.champion, name, progress))
        plan = store.get_module_plan(ws, spec.id)
        report = decide(
            spec.id,
            engine.catalog.kind(plan.kind).metric,
            route.champion,
            name,
            champion.scores,
            candidate.scores,
            champion.valid,
            candidate.valid,
        )
        adapter.report = report
        adapter.status = AdapterStatus.CHAMPION if report.promoted else AdapterStatus.REJECTED
        store.update_adapter(adapter)
        write_card(out_dir, AdapterCard.from_adapter(adapter))
        if report.promoted:
            _promote(store, ws, spec.id, route, name)
        move(JobState.PROMOTED if report.promoted else JobState.REJECTED)
    except Exception as exc:
        move(JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    return TrainOutcome(job, adapter, report, champion, candidate, len(train), held)


async def _evaluate_both(
    engine: Engine,
    spec: ModuleSpec,
    held: list[Example],
    champion: str,
    candidate: str,
    progress: Progress | None,
) -> tuple[Evaluation, Evaluation]:
    return (
        await evaluate(engine, spec, held, champion, progress, f"evaluate champion ({champion})"),
        await evaluate(engine, spec, held, candidate, progress, "evaluate candidate"),
    )


def _promote(store: Store, ws: str, module_id: str, route: Route, name: str) -> None:
    previous = route.champion
    if previous != "base":
        old = store.get_adapter(ws, previous)
        old.status = AdapterStatus.RETIRED
        store.update_adapter(old)
    fallback = [t for t in [previous, "base", "static"] if t != name]
    store.set_route(ws, module_id, Route(champion=name, fallback=list(dict.fromkeys(fallback))))


def export_module_dataset(store: Store, workspace_id: str, module_ref: str, path: Path) -> int:
    """Alpaca JSONL of a module's corrections (training split and held-out alike)."""
    specs = [s for s in store.list_specs(workspace_id) if module_ref in (s.id, s.name)]
    if len(specs) != 1:
        raise TrainingError(f"no single module named {module_ref!r}")
    spec = specs[0]
    examples = store.list_examples(workspace_id, spec.id)
    rows = [(spec.intent or spec.name, render_inputs(ex.input), _as_text(ex.target)) for ex in examples]
    export_alpaca(rows, path)
    return len(rows)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

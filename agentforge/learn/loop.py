"""One claimed training job, end to end: corrections → dataset → LoRA → evaluation gate → promotion.

This is the glue between the runtime (which answers, and so evaluates) and the learn pieces.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentforge.artifacts import (
    AdapterStatus,
    AdapterVersion,
    EvalReport,
    Example,
    JobState,
    ModuleSpec,
    TrainingJob,
)
from agentforge.config import Paths
from agentforge.errors import (
    AgentforgeError,
    LeaseLostError,
    ModelError,
    ModelUnavailableError,
    StoreError,
    TrainingError,
)
from agentforge.learn.card import AdapterCard, adapter_name, write_card
from agentforge.learn.dataset import TrainItem, data_hash, split_examples
from agentforge.learn.gate import decide
from agentforge.learn.lease import Lease
from agentforge.learn.metrics import metric_for
from agentforge.learn.promotion import promoted_route, retired_by
from agentforge.learn.recipe import DEFAULT_RECIPE, Recipe
from agentforge.learn.rungs import Evaluation, gate_rungs, gate_sample, judge_rungs, label_votes
from agentforge.learn.tagger_training import TaggerRun, tagger_rows, train_tagger
from agentforge.learn.trainers import train_adapter
from agentforge.learn.vote_selection import best_vote, cross_validate_votes
from agentforge.llm.base import Message
from agentforge.runtime import Engine
from agentforge.runtime.prompts import compact_labels, render_messages, render_target
from agentforge.runtime.tagger import TAGGER_DIR
from agentforge.runtime.targets import TAGGER
from agentforge.store.queue import JobQueue, Publication

log = logging.getLogger("agentforge.worker")

Progress = Callable[[str, int, int], None]
"""`(phase, done, total)`: phases are `train` and `evaluate …`."""
FormatText = Callable[[list[Message], str], tuple[str, str]]


@dataclass
class TrainOutcome:
    job: TrainingJob
    adapter: AdapterVersion
    report: EvalReport
    champion: Evaluation
    candidate: Evaluation
    """The rung the gate judged: the winner, or the best of the losers."""
    train_examples: int
    heldout: list[Example]
    """The held-out examples the gate scored (at most `GATE_MAX_HELDOUT`)."""
    rungs: dict[str, Evaluation]
    """Every rung the gate evaluated, by target, the champion's first."""


def _items(engine: Engine, spec: ModuleSpec, examples: list[Example], compact: bool) -> list[TrainItem]:
    plan = engine.store.get_module_plan(engine.workspace_id, spec.id)
    kind, role = engine.catalog.kind(plan.kind), engine.catalog.role(plan.agent_role)
    return [
        TrainItem(
            messages=render_messages(kind, role, spec, ex.input, tool_calls=ex.tool_calls, compact=compact),
            target=render_target(kind, spec, ex.target),
        )
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
    recipe_ref: str = DEFAULT_RECIPE,
    lease_s: float = 60.0,
) -> TrainOutcome:
    """Train the module now, in this process, through the queue: its queued job (or a new manual one) is
    claimed and run as a worker runs it, so its state, lease and publication are the same."""
    queue = JobQueue(engine.store)
    spec = engine.spec(module_ref)
    queued, _ = queue.enqueue(engine.workspace_id, spec.id, recipe=recipe_ref)
    worker = worker_id("inprocess")
    job = queue.claim_job(engine.workspace_id, queued.id, worker, lease_s)
    with Lease(queue, job, worker, lease_s) as lease:
        return run_claimed(
            engine,
            lease,
            data,
            recipe=recipe,
            model_dir=model_dir,
            base_model=base_model,
            format_text=format_text,
            progress=progress,
        )


def worker_id(kind: str = "worker") -> str:
    """`kind@host:pid:random`: unique per process, readable in `agentforge jobs show`."""
    return f"{kind}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_claimed(
    engine: Engine,
    lease: Lease,
    data: Paths,
    *,
    recipe: Recipe,
    model_dir: Path,
    base_model: str,
    format_text: FormatText,
    progress: Progress | None = None,
) -> TrainOutcome:
    """Run a claimed job to its end and record that end, whatever happens.

    Success commits the adapter row, the route change and the job's final state in one transaction. A lost
    lease writes nothing (the job's new owner finishes it); a cancelled job ends `cancelled`; a shutdown
    releases the job; a transient error (`is_transient`) queues it again after `retry_delay`, until its
    `max_attempts`; any other error fails it. The exception is re-raised in every case but success.
    """
    queue, worker = lease.queue, lease.worker
    try:
        return _run(engine, lease, data, recipe, model_dir, base_model, format_text, progress)
    except Exception as exc:
        reason = lease.stop_reason
        if reason == "lost" or isinstance(exc, LeaseLostError):
            raise
        if reason == "shutdown":
            queue.release(lease.job, worker)
        elif reason == "cancelled":
            queue.finish(lease.job, worker, JobState.CANCELLED, error="cancelled by request")
        elif is_transient(exc):
            queue.retry_later(lease.job, worker, f"{type(exc).__name__}: {exc}", retry_delay(lease.job.attempts))
        else:
            queue.finish(lease.job, worker, JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise


RETRY_BASE_S = 30.0
"""Wait before the second attempt of a job that failed for a transient reason; it doubles with each attempt."""
RETRY_MAX_S = 600.0


def retry_delay(attempts: int) -> float:
    """Exponential backoff: 30 s after the first failed attempt, 60 s after the second, at most 10 minutes."""
    return float(min(RETRY_MAX_S, RETRY_BASE_S * 2 ** max(0, attempts - 1)))


def is_transient(exc: BaseException) -> bool:
    """Whether an attempt that raised `exc` may succeed if run again: the store or a model back end failing, or an
    error from outside agentforge (out of memory, a full disk, a dropped connection), raw or wrapped by the
    trainer. Not a bad recipe, module or dataset, which fail the same way every time."""
    if isinstance(exc, ModelError | StoreError):
        return not isinstance(exc, ModelUnavailableError)
    if isinstance(exc, AgentforgeError):
        cause = exc.__cause__
        return isinstance(exc, TrainingError) and cause is not None and not isinstance(cause, AgentforgeError)
    return True


def _run(
    engine: Engine,
    lease: Lease,
    data: Paths,
    recipe: Recipe,
    model_dir: Path,
    base_model: str,
    format_text: FormatText,
    progress: Progress | None,
) -> TrainOutcome:
    store, ws, job = engine.store, engine.workspace_id, lease.job
    spec = store.get_spec(ws, job.module_id)

    def report(phase: str, done: int, total: int) -> None:
        if progress:
            progress(phase, done, total)
        lease.progress(phase, done, total)

    train, held = split_examples(store.list_examples(ws, spec.id))
    if len(train) < recipe.min_examples or not held:
        raise TrainingError(
            f"{spec.id} has {len(train)} training and {len(held)} held-out corrections; "
            f"need at least {recipe.min_examples} and 1"
        )
    compact = compact_labels(recipe.prompt, spec)
    items = _items(engine, spec, train, compact)
    items_hash = data_hash(items)
    name = adapter_name(spec.id, base_model=base_model, recipe=recipe, data_hash=items_hash)
    if name in {a.name for a in store.list_adapters(ws, spec.id)}:
        raise TrainingError(
            f"adapter {name} exists already: the same corrections and recipe were trained before; "
            "add corrections or change the recipe"
        )
    lease.advance(JobState.RUNNING, adapter=name)
    kind = engine.catalog.kind(store.get_module_plan(ws, spec.id).kind)
    spans = tagger_rows(spec, train) if recipe.tagger and kind.output != "label" else None
    tagged: list[TaggerRun] = []

    def train_version(staged: Path) -> float:
        seconds = train_adapter(
            model_dir,
            items,
            recipe,
            staged,
            format_text=format_text,
            progress=lambda step, total: report("train", step, total),
        ).seconds
        if spans is not None:
            run = train_tagger(
                spec,
                *spans,
                staged,
                seed=recipe.seed,
                max_seconds=recipe.tagger_seconds,
                progress=lambda step, total: report("train tagger", step, total),
            )
            tagged.append(run)
            seconds += run.seconds
        return seconds

    out_dir, seconds = publish_dir(
        data.adapters / ws, name, staging=data.adapters / ws / f".job-{job.id}", train=train_version
    )
    lease.advance(JobState.EVALUATING)
    engine.model.load_adapter(name, out_dir)
    engine.trained_prompt(name, compact=compact)
    models: tuple[str, ...] = ()
    if (out_dir / TAGGER_DIR).is_dir():
        engine.taggers.register(name, out_dir)
        models = (f"{TAGGER}{name}",)
    route = store.get_route(ws, spec.id)
    held = gate_sample(held)
    metric = kind.metric
    votes = label_votes(engine.retriever.embeds) if kind.output == "label" else ()
    selection = asyncio.run(cross_validate_votes(engine, spec, train, votes))
    chosen = best_vote(selection, votes)
    targets = gate_rungs(route, name, votes=(chosen,) if chosen else (), models=models)
    evaluations = asyncio.run(_evaluate_rungs(engine, spec, held, targets, report))
    lease.check()
    champion, *candidates = evaluations
    decisions = [
        decide(spec.id, metric, champion.target, c.target, champion.scores, c.scores, champion.valid, c.valid)
        for c in candidates
    ]
    decision, winner = judge_rungs(route, name, candidates, decisions)
    rungs = {e.target: e.mean for e in evaluations}
    decision = decision.model_copy(update={"rungs": rungs, "cross_validated": selection})
    adapter = AdapterVersion(
        name=name,
        workspace_id=ws,
        module_id=spec.id,
        base_model=base_model,
        path=str(out_dir),
        status=AdapterStatus.CHAMPION if winner and winner.adapter == name else AdapterStatus.REJECTED,
        recipe={**recipe.model_dump(mode="json"), "prompt": "compact" if compact else "full"},
        data_hash=items_hash,
        train_examples=len(items),
        train_seconds=seconds,
        report=decision,
    )
    write_card(out_dir, AdapterCard.from_adapter(adapter, metrics=tagged[0].metrics() if tagged else {}))
    publication = Publication(adapter=adapter)
    if winner is not None:
        # A vote names its neighbours itself (`nearest:5`) and a tagger takes none: the route's example count stays
        # the model rungs'.
        after = (
            promoted_route(route, winner.text, route.examples)
            if winner.vote or winner.tagger
            else promoted_route(route, winner.target, winner.examples)
        )
        publication = Publication(adapter=adapter, route=after, retire=retired_by(route, after))
    state = JobState.PROMOTED if adapter.status is AdapterStatus.CHAMPION else JobState.REJECTED
    done = lease.queue.finish(lease.job, lease.worker, state, publication=publication)
    judged = next(c for c in candidates if c.target == decision.candidate)
    by_target = {e.target: e for e in evaluations}
    return TrainOutcome(done, adapter, decision, champion, judged, len(train), held, by_target)


def publish_dir(root: Path, name: str, *, staging: Path, train: Callable[[Path], float]) -> tuple[Path, float]:
    """The adapter's final folder under `root`, trained into `staging` (the job's own) and renamed into place.

    A final folder left by an earlier attempt killed after its rename holds the same adapter (the name hashes
    model, recipe and data, and training is seeded), so it is kept; a staging folder left by a killed attempt
    is removed first. Returns the folder and the training seconds (0 when the folder was kept).
    """
    final = root / name.replace("@", "--")
    shutil.rmtree(staging, ignore_errors=True)
    if (final / "adapter_config.json").is_file():
        log.info("adapter %s: keeping the folder an interrupted attempt already put in place", name)
        return final, 0.0
    staged = staging / final.name
    seconds = train(staged)
    os.replace(staged, final)
    shutil.rmtree(staging, ignore_errors=True)
    return final, seconds


async def _evaluate_rungs(
    engine: Engine, spec: ModuleSpec, held: list[Example], targets: list[str], progress: Progress | None
) -> list[Evaluation]:
    labels = ["champion"] + ["candidate"] * (len(targets) - 1)
    return [
        await evaluate(engine, spec, held, target, progress, f"evaluate {label} ({target})")
        for label, target in zip(labels, targets, strict=True)
    ]

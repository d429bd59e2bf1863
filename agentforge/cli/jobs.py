"""`agentforge jobs list|show|cancel|retry` and `agentforge worker`: the training queue on a terminal."""

from __future__ import annotations

import json
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentforge.artifacts import DEFAULT_WORKSPACE, JobState, TrainingJob
from agentforge.config import Paths, default_home
from agentforge.errors import AgentforgeError, ConfigError, NotFoundError
from agentforge.store import Store
from agentforge.store.queue import JobQueue

jobs_app = typer.Typer(help="The training job queue: list, show, cancel, retry.", no_args_is_help=True)
console = Console()

AppOpt = Annotated[Path | None, typer.Option("--app", help="A built app folder (its store and workspace).")]
StoreOpt = Annotated[
    str | None, typer.Option("--store", help="Store URL (default: the app's, else $AGENTFORGE_STORE_URL).")
]
WorkspaceOpt = Annotated[str | None, typer.Option("--workspace", help="Workspace (default: the app's, else default).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON for tools instead of a table.")]
JobArg = Annotated[str, typer.Argument(help="Job id (a unique prefix is enough).")]


def _fail(exc: AgentforgeError) -> typer.Exit:
    console.print(f"[red]error:[/] {exc}")
    return typer.Exit(code=1)


@contextmanager
def open_queue(app_dir: Path | None, store_url: str | None, workspace: str | None) -> Iterator[tuple[JobQueue, str]]:
    """The queue of the app's store (or of `--store`), and the workspace the command acts in."""
    if app_dir is not None:
        from agentforge.runtime.host import open_app

        opened = open_app(app_dir, store_url)
        try:
            yield JobQueue(opened.store), workspace or opened.manifest.workspace_id
        finally:
            opened.close()
        return
    url = store_url or os.environ.get("AGENTFORGE_STORE_URL")
    if not url:
        raise ConfigError("give --app or --store (or set AGENTFORGE_STORE_URL)")
    with Store.open(url) as store:
        yield JobQueue(store), workspace or DEFAULT_WORKSPACE


def _find(queue: JobQueue, workspace: str, ref: str) -> TrainingJob:
    found = [j for j in queue.jobs(workspace) if j.id.startswith(ref)]
    if len(found) != 1:
        many = "more than one" if found else "no"
        raise NotFoundError(f"{many} job matches {ref!r} in workspace {workspace!r}")
    return found[0]


def _progress(job: TrainingJob) -> str:
    if job.progress is None or not job.state.active:
        return ""
    return f"{job.progress.phase} {job.progress.done}/{job.progress.total}"


def _when(job: TrainingJob) -> str:
    return job.updated_at.strftime("%Y-%m-%d %H:%M:%S")


def jobs_table(jobs: list[TrainingJob]) -> Table:
    table = Table(title=f"{len(jobs)} job(s), newest first")
    for column in ("id", "module", "state", "trigger", "attempts", "progress", "adapter", "updated (UTC)"):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "state", "trigger", "attempts"))
    styles = {JobState.PROMOTED: "green", JobState.FAILED: "red", JobState.REJECTED: "yellow"}
    for job in jobs:
        style = styles.get(job.state, "")
        state = "cancelling" if job.cancel_requested and job.state.active else job.state.value
        table.add_row(
            job.id[:12],
            job.module_id,
            f"[{style}]{state}[/]" if style else state,
            job.trigger.value,
            f"{job.attempts}/{job.max_attempts}",
            _progress(job),
            job.adapter or "",
            _when(job),
        )
    return table


@jobs_app.command("list")
def list_jobs(
    app_dir: AppOpt = None,
    store: StoreOpt = None,
    workspace: WorkspaceOpt = None,
    module: Annotated[str | None, typer.Option(help="Only this module's jobs (its id).")] = None,
    state: Annotated[list[JobState] | None, typer.Option(help="Only jobs in this state (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The workspace's training jobs, newest first."""
    try:
        with open_queue(app_dir, store, workspace) as (queue, ws):
            jobs = queue.jobs(ws, module_id=module, states=state or [])
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps([j.model_dump(mode="json") for j in jobs], indent=2))
    else:
        console.print(jobs_table(jobs))


@jobs_app.command("show")
def show_job(job_ref: JobArg, app_dir: AppOpt = None, store: StoreOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Everything about one job (JSON): state, attempts, lease, progress, adapter, last error."""
    try:
        with open_queue(app_dir, store, workspace) as (queue, ws):
            job = _find(queue, ws, job_ref)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    typer.echo(job.model_dump_json(indent=2))


@jobs_app.command("cancel")
def cancel_job(job_ref: JobArg, app_dir: AppOpt = None, store: StoreOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Cancel a queued job at once, or ask a running one to stop (it ends `cancelled` at its next check)."""
    try:
        with open_queue(app_dir, store, workspace) as (queue, ws):
            job = queue.cancel(ws, _find(queue, ws, job_ref).id)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    if job.state is JobState.CANCELLED:
        console.print(f"job {job.id} cancelled")
    else:
        console.print(f"job {job.id} is {job.state.value}: asked its worker ({job.lease_owner}) to stop")


@jobs_app.command("retry")
def retry_job(job_ref: JobArg, app_dir: AppOpt = None, store: StoreOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Queue a failed or cancelled job again."""
    try:
        with open_queue(app_dir, store, workspace) as (queue, ws):
            job = queue.retry(ws, _find(queue, ws, job_ref).id)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    console.print(f"job {job.id} queued again for {job.module_id}")


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `1h`, `1d` → seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    raw = text.strip().lower()
    number, unit = (raw[:-1], raw[-1]) if raw and raw[-1] in units else (raw, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a duration like 90s, 15m or 1h") from exc
    if seconds <= 0:
        raise typer.BadParameter(f"{text!r} must be positive")
    return seconds


def worker(
    app_dir: AppOpt = None,
    store: StoreOpt = None,
    data: Annotated[
        Path | None, typer.Option(help="Data folder for adapters (default: the app's, else $AGENTFORGE_HOME).")
    ] = None,
    model: Annotated[str, typer.Option(help="Local model that evaluates candidates.")] = "smollm2-135m-instruct",
    poll: Annotated[float, typer.Option(help="Seconds between claims when the queue is empty.")] = 2.0,
    lease: Annotated[float, typer.Option(help="Lease seconds; a dead worker's job is redelivered after this.")] = 30.0,
    once: Annotated[bool, typer.Option("--once", help="Run the due jobs, then exit when the queue is empty.")] = False,
    max_jobs: Annotated[int | None, typer.Option(help="Exit after this many jobs.")] = None,
    schedule: Annotated[
        str | None,
        typer.Option(help="Also queue modules with new corrections every interval (e.g. 1h, 30m)."),
    ] = None,
) -> None:
    """Claim training jobs from the store's queue and run them (SIGTERM: stop and release the running job)."""
    from agentforge.cli.models import load_model
    from agentforge.learn.worker import Worker, WorkerConfig

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("agentforge").setLevel(logging.INFO)
    config = WorkerConfig(lease_s=lease, poll_s=poll, schedule_s=parse_duration(schedule) if schedule else None)
    try:
        with _worker_store(app_dir, store, data) as (opened, paths):
            runner = Worker(opened, load_model(model, console), paths, config)

            def _stop(signum: int, _frame: FrameType | None) -> None:
                logging.getLogger("agentforge.worker").info("signal %d: stopping", signum)
                runner.stop()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            runner.run(once=once, max_jobs=max_jobs)
    except AgentforgeError as exc:
        raise _fail(exc) from exc


@contextmanager
def _worker_store(app_dir: Path | None, store_url: str | None, data: Path | None) -> Iterator[tuple[Store, Paths]]:
    if app_dir is not None:
        from agentforge.runtime.host import open_app

        opened = open_app(app_dir, store_url)
        try:
            yield opened.store, Paths(home=data) if data else opened.data
        finally:
            opened.close()
        return
    url = store_url or os.environ.get("AGENTFORGE_STORE_URL")
    if not url:
        raise ConfigError("give --app or --store (or set AGENTFORGE_STORE_URL)")
    with Store.open(url) as store:
        yield store, Paths(home=data or default_home())

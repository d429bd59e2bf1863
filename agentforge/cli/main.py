"""`agentforge`: the pipeline's verbs on a terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agentforge.artifacts import ModuleSpec
from agentforge.cli.adapters import adapters_app
from agentforge.cli.catalog import CatalogOpt, catalog_app
from agentforge.cli.dynamize import dynamize
from agentforge.cli.jobs import jobs_app, worker
from agentforge.cli.keys import keys_app
from agentforge.cli.model_commands import models_app
from agentforge.cli.render import plan_table
from agentforge.cli.scan_command import scan
from agentforge.cli.scanning import MinConfidenceOpt, NoCacheOpt, archive_stem, repo_folder, scan_path
from agentforge.cli.workspaces import workspaces_app
from agentforge.errors import AgentforgeError, ConfigError, NotFoundError
from agentforge.learn.dataset import DatasetFormat, DatasetSplit
from agentforge.scan.scoring import DEFAULT_MIN_CONFIDENCE

app = typer.Typer(
    name="agentforge",
    help="Turn a static prototype into a living, self-improving application.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()

RepoArg = Annotated[
    Path, typer.Argument(help="The prototype's folder, or a zip / tar.gz of it (unpacked safely).", exists=True)
]
AppArg = Annotated[Path, typer.Option("--app", help="A built app folder (holds agentforge.yaml).")]
StoreOpt = Annotated[
    str | None, typer.Option("--store", help="Store URL (default: SQLite inside the app's .agentforge/).")
]
ModelOpt = Annotated[str, typer.Option("--model", help="Model name or local path.")]
AskModelOpt = Annotated[
    bool,
    typer.Option(
        "--ask-model",
        help="Let the model (--model) choose the kind where the rules are ambiguous; the plan records it.",
    ),
]
TeamsOpt = Annotated[
    bool,
    typer.Option(
        "--teams",
        help="Give generation modules a writer → reviewer → reviser team (2-3 model calls per call instead of 1).",
    ),
]


def _fail(exc: AgentforgeError) -> typer.Exit:
    console.print(f"[red]error:[/] {exc}")
    return typer.Exit(code=1)


@app.command()
def plan(
    path: RepoArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the plan YAML.")] = Path(
        "agentforge.plan.yaml"
    ),
    model: ModelOpt = "smollm2-135m-instruct",
    no_cache: NoCacheOpt = False,
    min_confidence: MinConfidenceOpt = DEFAULT_MIN_CONFIDENCE,
    review: Annotated[
        bool, typer.Option("--review", help="Stop before writing: show the plan and take edits (checkpointed).")
    ] = False,
    edit: Annotated[
        list[str] | None,
        typer.Option(
            "--edit",
            help='With --review: "MODULE kind=K role=R reviewer=R|none champion=T" or "MODULE exclude". Repeatable.',
        ),
    ] = None,
    accept: Annotated[bool, typer.Option("--accept", help="With --review: accept the plan as proposed.")] = False,
    checkpoints: Annotated[
        str | None,
        typer.Option(
            "--checkpoints",
            help="Plan checkpoints: sqlite:///PATH or postgresql://... "
            "(default: $AGENTFORGE_PLAN_CHECKPOINTS, else $AGENTFORGE_HOME/plans.db).",
        ),
    ] = None,
    ask_model: AskModelOpt = False,
    teams: TeamsOpt = False,
    show_mermaid: Annotated[
        bool, typer.Option("--mermaid", help="Also print the plan's Mermaid graph (modules, calls, tools).")
    ] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Scan, then plan each module: kind, agent role or team, coordinator tools, route, policies. Writes YAML and
    a Mermaid graph.

    With --review the planner stops before writing and shows its proposal; edits come from --edit, or are typed
    one per line (an empty line accepts). A review killed while it waits resumes from its checkpoint."""
    from agentforge.catalog import load_catalog
    from agentforge.cli.models import load_model
    from agentforge.cli.review import review_plan
    from agentforge.plan import make_plan, plan_to_yaml

    if (edit or accept) and not review:
        raise _fail(AgentforgeError("--edit and --accept go with --review"))
    try:
        kinds_and_roles = load_catalog(catalog or ())
        with repo_folder(path) as root:
            result = scan_path(root, no_cache=no_cache, min_confidence=min_confidence)
        chooser = load_model(model, console) if ask_model else None
        if review:
            the_plan = review_plan(
                result.modules,
                root=str(path),
                base_model=model,
                edits=edit or [],
                accept=accept,
                checkpoints=checkpoints,
                console=console,
                model=chooser,
                teams=teams,
                catalog=kinds_and_roles,
            )
        else:
            the_plan = make_plan(
                result.modules, root=str(path), base_model=model, model=chooser, teams=teams, catalog=kinds_and_roles
            )
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    output.write_text(plan_to_yaml(the_plan), encoding="utf-8")
    mermaid = output.with_suffix(".mmd")
    mermaid.write_text(the_plan.mermaid, encoding="utf-8")
    console.print(plan_table(the_plan, result.modules))
    if show_mermaid:
        console.print(the_plan.mermaid, markup=False, highlight=False, soft_wrap=True)
    if the_plan.excluded:
        console.print(f"left static by the review: {', '.join(the_plan.excluded)}")
    console.print(f"plan written to {output}, graph to {mermaid}")


@app.command()
def build(
    path: RepoArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder for the dynamic app.")],
    model: ModelOpt = "smollm2-135m-instruct",
    no_cache: NoCacheOpt = False,
    min_confidence: MinConfidenceOpt = DEFAULT_MIN_CONFIDENCE,
    ask_model: AskModelOpt = False,
    teams: TeamsOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """Scan, plan and write the dynamic app to OUT; the original repo is never modified. A workspace catalog
    (--catalog) is planned with and travels in the app's manifest, so serving and training use it too."""
    from agentforge.build import build_app
    from agentforge.catalog import load_catalog
    from agentforge.cli.models import load_model
    from agentforge.plan import make_plan

    try:
        kinds_and_roles = load_catalog(catalog or ())
        chooser = load_model(model, console) if ask_model else None
        with repo_folder(path) as root:
            result = scan_path(root, no_cache=no_cache, min_confidence=min_confidence)
            the_plan = make_plan(
                result.modules, root=str(path), base_model=model, model=chooser, teams=teams, catalog=kinds_and_roles
            )
            name = archive_stem(path) if path.is_file() else None
            manifest = build_app(root, result.modules, the_plan, out, app_name=name, catalog=kinds_and_roles)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    console.print(f"built {manifest.app_name} with {len(manifest.specs)} dynamic modules into {out}")


@app.command()
def serve(
    app_dir: Annotated[
        Path | None, typer.Argument(help="A built app folder (not with --workspaces).", exists=True, file_okay=False)
    ] = None,
    workspaces: Annotated[
        bool,
        typer.Option(
            "--workspaces",
            help="Multi-tenant mode: every workspace's uploads, apps and runtime under /v1/workspaces/{ws}, behind "
            "API keys; --store should be PostgreSQL ($AGENTFORGE_STORE_URL).",
        ),
    ] = False,
    data: Annotated[
        Path | None, typer.Option(help="With --workspaces: uploads and built apps (default: $AGENTFORGE_HOME/service).")
    ] = None,
    admin_key_env: Annotated[
        str,
        typer.Option(help="With --workspaces: the variable holding the admin key (workspaces, keys, /metrics)."),
    ] = "AGENTFORGE_ADMIN_KEY",
    rate_limit: Annotated[
        str,
        typer.Option(
            help='With --workspaces: requests per API key, e.g. "600/minute" or "20/second;600/minute" (none: off).'
        ),
    ] = "600/minute",
    rate_limit_storage: Annotated[
        str, typer.Option(help="With --workspaces: memory:// (one node) or redis://host:6379 (shared by every node).")
    ] = "memory://",
    host: str = "127.0.0.1",
    port: int = 8765,
    store: StoreOpt = None,
    backend: Annotated[
        str | None,
        typer.Option(help="local | vllm | openai | ollama (default: $AGENTFORGE_BACKEND, else local)."),
    ] = None,
    backend_url: Annotated[
        str | None, typer.Option(help="The server's URL for vllm/openai/ollama (default: $AGENTFORGE_BACKEND_URL).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Local model name/path, or the served model's name (default: $AGENTFORGE_MODEL)."),
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the API key, e.g. OPENAI_API_KEY.")
    ] = None,
    fallback_backend: Annotated[
        list[str] | None,
        typer.Option(
            help="Another back end, KIND:MODEL[@URL] (repeatable); routes reach it as the target `backend:KIND`."
        ),
    ] = None,
    train_after: Annotated[
        int | None,
        typer.Option(
            help="Queue a module's retraining after this many new corrections "
            "(default: $AGENTFORGE_TRAIN_AFTER, else 50; 0: never)."
        ),
    ] = None,
) -> None:
    """Serve a built app's modules over HTTP (invoke, traces, corrections, /metrics, /health), or with
    --workspaces every workspace's apps: upload an archive, get a dynamic app, call it, correct it."""
    import uvicorn

    from agentforge.api import create_app
    from agentforge.cli.models import open_fallbacks, open_model
    from agentforge.learn.triggers import train_after_from_env
    from agentforge.runtime import Engine
    from agentforge.runtime.host import open_app

    if workspaces:
        from agentforge.cli.service import serve_workspaces

        if app_dir is not None:
            raise _fail(ConfigError("--workspaces serves uploaded apps; give no app folder"))
        options = {"backend": backend, "backend_url": backend_url, "model": model, "api_key_env": api_key_env}
        serve_workspaces(
            console,
            store=store,
            data=data,
            admin_key_env=admin_key_env,
            rate=(rate_limit, rate_limit_storage),
            host=host,
            port=port,
            models=options,
            fallbacks=fallback_backend or [],
            train_after=train_after,
        )
        return
    if app_dir is None:
        raise _fail(ConfigError("give a built app folder, or --workspaces"))
    try:
        opened = open_app(app_dir, store)
        chosen = open_model(console, backend=backend, backend_url=backend_url, model=model, api_key_env=api_key_env)
        others = open_fallbacks(console, fallback_backend or [])
        engine = Engine(
            opened.store,
            chosen,
            workspace_id=opened.manifest.workspace_id,
            backends=others,
            train_after=train_after_from_env(train_after),
        )
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    console.print(f"serving {opened.manifest.app_name} on http://{host}:{port} with {chosen.name}")
    uvicorn.run(create_app(engine, app_name=opened.manifest.app_name), host=host, port=port, log_level="info")


@app.command()
def train(
    module: Annotated[str, typer.Argument(help="Module id or function name.")],
    app_dir: AppArg,
    store: StoreOpt = None,
    model: ModelOpt = "smollm2-135m-instruct",
    recipe: Annotated[str, typer.Option(help="Recipe name in adapters/ or a YAML path.")] = "cpu-default",
    now: Annotated[
        bool, typer.Option("--now", help="Train here and now (with progress bars) instead of queueing for a worker.")
    ] = False,
) -> None:
    """Queue a LoRA retraining of a module for `agentforge worker`, or run it at once with --now.

    Either way the adapter is promoted only if it beats the current route on the held-out corrections.
    """
    from agentforge.runtime.host import open_app

    try:
        opened = open_app(app_dir, store)
        if not now:
            from agentforge.store.queue import JobQueue

            ws = opened.manifest.workspace_id
            spec = _module(opened.store.list_specs(ws), module)
            job, created = JobQueue(opened.store).enqueue(ws, spec.id, recipe=recipe)
            verb = "queued" if created else "already queued as"
            console.print(f"{verb} job {job.id} for {spec.id}; `agentforge worker --app {app_dir}` runs it")
            return
        from agentforge.cli.models import load_model
        from agentforge.cli.progress import train_with_progress
        from agentforge.runtime import Engine

        engine = Engine(opened.store, load_model(model, console), workspace_id=opened.manifest.workspace_id)
        outcome = train_with_progress(engine, module, opened.data, recipe, console)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    report = outcome.adapter.report
    if report is not None:
        console.print(json.dumps(report.model_dump(mode="json"), indent=2))


def _module(specs: list[ModuleSpec], ref: str) -> ModuleSpec:
    found = [s for s in specs if ref in (s.id, s.name)]
    if len(found) != 1:
        raise NotFoundError(f"{'no' if not found else 'more than one'} module named {ref!r}")
    return found[0]


dataset_app = typer.Typer(help="Per-module datasets built from corrections.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")
app.add_typer(models_app, name="models")
app.add_typer(jobs_app, name="jobs")
app.add_typer(adapters_app, name="adapters")
app.add_typer(catalog_app, name="catalog")
app.add_typer(keys_app, name="keys")
app.add_typer(workspaces_app, name="workspaces")


@dataset_app.command("export")
def dataset_export(
    module: Annotated[str, typer.Argument(help="Module id or function name.")],
    app_dir: AppArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL file to write.")],
    output_format: Annotated[
        DatasetFormat,
        typer.Option(
            "--format", help="alpaca (instruction/input/output), chat (messages), dpo (prompt/chosen/rejected)."
        ),
    ] = DatasetFormat.ALPACA,
    split: Annotated[
        DatasetSplit, typer.Option(help="train (what adapters learn), heldout (what the gate scores), or all.")
    ] = DatasetSplit.ALL,
    store: StoreOpt = None,
) -> None:
    """Export a module's examples (corrections, edits, up-ratings; latest feedback per input wins) as JSONL.

    Each line carries the module's real prompt. dpo writes one pair per output a user corrected or rated down.
    """
    from agentforge.learn.dataset_export import export_dataset
    from agentforge.runtime.host import open_app

    try:
        opened = open_app(app_dir, store)
        counts = export_dataset(
            opened.store, opened.manifest.workspace_id, module, output, fmt=output_format, split=split
        )
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    console.print(
        f"wrote {counts.written} {output_format.value} lines from {counts.examples} {split.value} examples to "
        f"{output} (dropped {counts.duplicates} duplicates and {counts.contradictions} contradictions: "
        "the latest feedback on an input wins)"
    )


app.command()(scan)
app.command()(dynamize)
app.command()(worker)

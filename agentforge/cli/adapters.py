"""`agentforge adapters list|show|promote|rollback`: a workspace's adapter versions and its champions.

Promote and rollback write the module's route in the store; a running `agentforge serve` on the same store
picks the change up within `ROUTE_CACHE_S` (5 s), without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agentforge.artifacts import AdapterVersion, Route
from agentforge.errors import AgentforgeError, NotFoundError
from agentforge.learn.export import ExportFormat
from agentforge.runtime.targets import champion_target

if TYPE_CHECKING:
    from agentforge.learn.promotion import RouteChange
    from agentforge.runtime.host import OpenApp
    from agentforge.store import Store

adapters_app = typer.Typer(
    help="Adapter versions: list, show (with the gate's report), promote by hand, roll back.", no_args_is_help=True
)
console = Console()

AppOpt = Annotated[Path, typer.Option("--app", help="A built app folder (holds agentforge.yaml).")]
StoreOpt = Annotated[
    str | None, typer.Option("--store", help="Store URL (default: SQLite inside the app's .agentforge/).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document instead of a table.")]
NameArg = Annotated[str, typer.Argument(help="Adapter name, `<module-slug>@<hash12>`.")]


def _open(app_dir: Path, store: str | None) -> OpenApp:
    from agentforge.runtime.host import open_app

    return open_app(app_dir, store)


def _fail(exc: AgentforgeError) -> typer.Exit:
    console.print(f"[red]error:[/] {exc}")
    return typer.Exit(code=1)


def resolve_module(store: Store, workspace_id: str, module_ref: str) -> str:
    """A module id from its id or its (unique) function name."""
    specs = store.list_specs(workspace_id)
    exact = [s.id for s in specs if s.id == module_ref]
    found = exact or [s.id for s in specs if module_ref in (s.name, s.name.rsplit(".", 1)[-1])]
    if len(found) != 1:
        problem = "is ambiguous" if found else "is not a module"
        raise NotFoundError(f"{module_ref!r} {problem} in workspace {workspace_id!r}")
    return found[0]


def _score(adapter: AdapterVersion) -> str:
    r = adapter.report
    return "-" if r is None else f"{r.champion_score:.3f} → {r.candidate_score:.3f}"


def _route_text(route: Route) -> str:
    return " → ".join(dict.fromkeys([champion_target(route), *route.fallback]))


def _change_json(change: RouteChange) -> dict[str, Any]:
    return {
        "module": change.module_id,
        "before": change.before.model_dump(mode="json"),
        "after": change.after.model_dump(mode="json"),
    }


@adapters_app.command("list")
def list_command(
    app_dir: AppOpt,
    module: Annotated[str | None, typer.Option(help="Only this module (id or function name).")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Adapter versions, newest first: status, metric, scores (champion → candidate), training size and time."""
    try:
        opened = _open(app_dir, store)
        ws = opened.manifest.workspace_id
        module_id = resolve_module(opened.store, ws, module) if module else None
        found = opened.store.list_adapters(ws, module_id)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    if as_json:
        console.print_json(data=[a.model_dump(mode="json") for a in found])
        return
    table = Table(title=f"Adapters of {opened.manifest.app_name}")
    table.add_column("name", no_wrap=True)
    for column in ("module", "status", "metric", "score", "gain", "held-out", "trained on", "train s"):
        table.add_column(column, justify="right" if column in ("held-out", "trained on", "train s") else "left")
    for a in found:
        r = a.report
        table.add_row(
            a.name,
            a.module_id.rsplit("::", 1)[-1],
            a.status.value,
            r.metric if r else "-",
            _score(a),
            f"{r.margin:+.3f}" if r else "-",
            str(r.n) if r else "-",
            str(a.train_examples),
            f"{a.train_seconds:.1f}",
        )
    console.print(table)


@adapters_app.command("show")
def show_command(name: NameArg, app_dir: AppOpt, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """One adapter: where it lies, how it was trained, the gate's report and its module's route."""
    try:
        opened = _open(app_dir, store)
        adapter = opened.store.get_adapter(opened.manifest.workspace_id, name)
        route = opened.store.get_route(opened.manifest.workspace_id, adapter.module_id)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    if as_json:
        console.print_json(data={"adapter": adapter.model_dump(mode="json"), "route": route.model_dump(mode="json")})
        return
    table = Table(title=adapter.name, show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    rows = [
        ("module", adapter.module_id),
        ("status", adapter.status.value),
        ("base model", adapter.base_model),
        ("path", adapter.path),
        ("trained on", f"{adapter.train_examples} examples in {adapter.train_seconds:.1f} s"),
        ("data hash", adapter.data_hash[:16]),
        ("created", adapter.created_at.isoformat(timespec="seconds")),
        ("module route", _route_text(route)),
    ]
    r = adapter.report
    if r is not None:
        rows += [
            ("gate", "promoted" if r.promoted else "rejected"),
            ("metric", f"{r.metric} on {r.n} held-out examples"),
            ("champion", f"{r.champion}: {r.champion_score:.4f} (valid {r.champion_validity:.1%})"),
            ("candidate", f"{r.candidate}: {r.candidate_score:.4f} (valid {r.candidate_validity:.1%})"),
            ("gain", f"{r.margin:+.4f}"),
            ("reason", r.reason),
        ]
        rows += [("rung", f"{target}: {score:.4f}") for target, score in r.rungs.items()]
        rows += [("cross-validated", f"{t}: {v:.4f} on the training split") for t, v in r.cross_validated.items()]
    for field, value in rows:
        table.add_row(field, value)
    console.print(table)


def _print_change(change: RouteChange, as_json: bool, verb: str) -> None:
    if as_json:
        console.print_json(data=_change_json(change))
        return
    console.print(
        f"{verb} {change.module_id}: champion {change.before.champion} → {change.after.champion} "
        f"(route {_route_text(change.after)}); a running server sees it within 5 s"
    )


@adapters_app.command("promote")
def promote_command(
    name: NameArg,
    app_dir: AppOpt,
    force: Annotated[bool, typer.Option("--force", help="Promote even an adapter the gate rejected.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make NAME its module's champion by hand; the current champion is retired and kept as first fallback."""
    from agentforge.learn.promotion import promote

    try:
        opened = _open(app_dir, store)
        change = promote(opened.store, opened.manifest.workspace_id, name, force=force)
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    _print_change(change, as_json, "promoted")


@adapters_app.command("rollback")
def rollback_command(
    module: Annotated[str, typer.Argument(help="Module id or function name.")],
    app_dir: AppOpt,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore MODULE's previous champion (the first adapter or `base` in its fallback chain)."""
    from agentforge.learn.promotion import rollback

    try:
        opened = _open(app_dir, store)
        ws = opened.manifest.workspace_id
        change = rollback(opened.store, ws, resolve_module(opened.store, ws, module))
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    _print_change(change, as_json, "rolled back")


@adapters_app.command("export")
def export_command(
    name: NameArg,
    app_dir: AppOpt,
    out: Annotated[Path, typer.Option("-o", "--out", help="New folder to write.")],
    output_format: Annotated[
        ExportFormat,
        typer.Option("--format", help="peft (adapter folder), merged (safetensors model), gguf (+ Ollama Modelfile)."),
    ] = ExportFormat.PEFT,
    llama_cpp: Annotated[
        Path | None, typer.Option(help="llama.cpp's convert_hf_to_gguf.py (default: $LLAMA_CPP_DIR, then PATH).")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Export an adapter: as PEFT, merged into its base model (safetensors), or as GGUF for Ollama."""
    from agentforge.config import Paths, default_home
    from agentforge.learn.export import export_adapter
    from agentforge.llm.weights import resolve_model_dir

    try:
        opened = _open(app_dir, store)
        adapter = opened.store.get_adapter(opened.manifest.workspace_id, name)
        model_dir = None
        if output_format is not ExportFormat.PEFT:
            model_dir = resolve_model_dir(adapter.base_model, Paths(home=default_home()))
        with console.status(f"exporting {name} as {output_format.value}…") as status:
            written = export_adapter(
                adapter, out, output_format, model_dir=model_dir, converter=llama_cpp, progress=status.update
            )
    except AgentforgeError as exc:
        raise _fail(exc) from exc
    console.print(f"{name} exported as {output_format.value} to {written}")

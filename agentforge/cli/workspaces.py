"""`agentforge workspaces list|create|delete`: a multi-tenant server's workspaces, on its store."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentforge.cli.service import server_store
from agentforge.config import default_home
from agentforge.store.tenancy import Tenancy

workspaces_app = typer.Typer(help="A multi-tenant server's workspaces: list, create, delete.", no_args_is_help=True)
console = Console()
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Store URL (default: $AGENTFORGE_STORE_URL, else the one `serve --workspaces` uses)."),
]
WorkspaceArg = Annotated[str, typer.Argument(help="Workspace id (1-63 of a-z, 0-9, '-', '_').")]


@workspaces_app.command("list")
def list_workspaces(
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for tools instead of a table.")] = False,
) -> None:
    """Every workspace with its number of apps."""
    with server_store(console, store) as opened:
        tenancy = Tenancy(opened)
        found = tenancy.workspaces()
    if as_json:
        typer.echo(json.dumps([asdict(w) for w in found], default=str, indent=2))
        return
    table = Table(title="workspaces")
    for col in ("workspace", "name", "created", "apps"):
        table.add_column(col)
    for w in found:
        table.add_row(w.workspace_id, w.name or "-", f"{w.created_at:%Y-%m-%d %H:%M}", str(w.apps))
    console.print(table)


@workspaces_app.command("create")
def create(
    workspace: WorkspaceArg,
    name: Annotated[str | None, typer.Option("--name", help="A readable name.")] = None,
    store: StoreOpt = None,
) -> None:
    """Create a workspace (or rename one); give it keys with `agentforge keys create`."""
    with server_store(console, store) as opened:
        tenancy = Tenancy(opened)
        info = tenancy.create_workspace(workspace, name)
    console.print(f"workspace {info.workspace_id} ({info.apps} apps)", highlight=False)


@workspaces_app.command("delete")
def delete(
    workspace: WorkspaceArg,
    store: StoreOpt = None,
    data: Annotated[
        Path | None, typer.Option(help="The server's data folder (default: $AGENTFORGE_HOME/service).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a workspace with everything in it: apps, traces, corrections, adapters, jobs, keys and files."""
    if not yes:
        typer.confirm(f"delete workspace {workspace} and everything in it?", abort=True)
    with server_store(console, store) as opened:
        tenancy = Tenancy(opened)
        tenancy.delete_workspace(workspace)
    shutil.rmtree((data or default_home() / "service") / "workspaces" / workspace, ignore_errors=True)
    console.print(f"deleted workspace {workspace}", highlight=False)

"""`agentforge catalog list|show`: the module kinds and agent roles a plan can use, and where each comes from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentforge.catalog import Catalog, load_catalog
from agentforge.catalog.loader import REPO_ROOT
from agentforge.errors import AgentforgeError, NotFoundError

catalog_app = typer.Typer(help="Module kinds and agent roles: list, show.", no_args_is_help=True)
console = Console()

CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="A workspace folder with its own modules/ and/or agents/ YAML files; they add to the built-in "
        "catalog or override its entries by name. Repeatable, later folders win.",
    ),
]


def _load(folders: list[Path] | None) -> Catalog:
    try:
        return load_catalog(folders or ())
    except AgentforgeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc


def _source(path: Path) -> str:
    return "built-in" if path.is_relative_to(REPO_ROOT) else str(path)


@catalog_app.command("list")
def list_entries(
    catalog: CatalogOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for tools instead of tables.")] = False,
) -> None:
    """Every module kind and agent role, with what it is for and the file it was read from."""
    loaded = _load(catalog)
    if as_json:
        data = {
            "kinds": {
                n: {**k.model_dump(mode="json"), "file": str(loaded.kind_files[n])} for n, k in loaded.kinds.items()
            },
            "roles": {
                n: {**r.model_dump(mode="json"), "file": str(loaded.role_files[n])} for n, r in loaded.roles.items()
            },
        }
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    kinds = Table(title="module kinds")
    for column in ("kind", "output", "metric", "roles", "detected by", "source"):
        kinds.add_column(column)
    for name, kind in sorted(loaded.kinds.items()):
        hints = [*kind.detection.output_types, *kind.detection.name_hints[:4]]
        served_by = ", ".join(r.name for r in loaded.roles_for(name)) or "[red]none[/]"
        kinds.add_row(name, kind.output, kind.metric, served_by, ", ".join(hints), _source(loaded.kind_files[name]))
    roles = Table(title="agent roles")
    for column in ("role", "kinds", "frameworks", "tools", "source"):
        roles.add_column(column)
    for name, role in sorted(loaded.roles.items()):
        source = _source(loaded.role_files[name])
        roles.add_row(name, ", ".join(role.kinds), ", ".join(role.frameworks), ", ".join(role.tools) or "-", source)
    console.print(kinds)
    console.print(roles)


@catalog_app.command()
def show(
    name: Annotated[str, typer.Argument(help="A module kind or an agent role.")],
    catalog: CatalogOpt = None,
) -> None:
    """One kind or role: the YAML file it was read from (a workspace's file when it overrides a built-in)."""
    loaded = _load(catalog)
    found = [
        (what, files[name])
        for what, files in (("kind", loaded.kind_files), ("role", loaded.role_files))
        if name in files
    ]
    if not found:
        known = ", ".join(sorted({*loaded.kinds, *loaded.roles}))
        error = NotFoundError(f"no module kind or agent role named {name!r}; known: {known}")
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(code=1)
    for what, path in found:
        typer.echo(f"# {what} {name}, from {path}")
        typer.echo(path.read_text(encoding="utf-8").rstrip())

"""`agentforge models list|pull|info`: what models this machine has, and fetching one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentforge.config import Paths, default_home
from agentforge.errors import AgentforgeError

models_app = typer.Typer(help="Models on this machine: list, pull (convert or download), info.", no_args_is_help=True)
console = Console()
NameArg = Annotated[str, typer.Argument(help="smollm2-135m-instruct, a Hugging Face id, or a model folder.")]


def _size(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n else "-"


@models_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False) -> None:
    """The default model, agentforge's cached copies, and models in the Hugging Face cache."""
    from agentforge.llm.catalog import list_models

    found = list_models(Paths(home=default_home()))
    if as_json:
        console.print_json(data=[m.model_dump() for m in found])
        return
    table = Table(title="Models on this machine")
    for column in ("name", "source", "ready", "weights", "path"):
        table.add_column(column)
    for m in found:
        table.add_row(m.name, m.source, "yes" if m.ready else "no (pull)", _size(m.weight_bytes), m.path or "-")
    console.print(table)


@models_app.command("pull")
def pull_command(name: NameArg) -> None:
    """Make a model loadable here: convert the default once, or download a hub id when the hub is reachable."""
    from agentforge.llm.catalog import pull_model

    try:
        with console.status(f"pulling {name}…"):
            info = pull_model(name, Paths(home=default_home()), progress=console.print)
    except AgentforgeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(f"{info.name} is ready at {info.path} ({_size(info.weight_bytes)})")


@models_app.command("info")
def info_command(name: NameArg) -> None:
    """Where a model's weights are and what it is (architecture, sizes, context length)."""
    from agentforge.llm.catalog import model_info

    try:
        info = model_info(name, Paths(home=default_home()), progress=console.print)
    except AgentforgeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    console.print_json(data=info.model_dump())

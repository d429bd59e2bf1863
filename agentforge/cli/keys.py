"""`agentforge keys create|list|revoke`: a workspace's API keys, on the server's store."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentforge.cli.service import server_store
from agentforge.store.keys import KeyStore

keys_app = typer.Typer(help="A workspace's API keys: create (shown once), list, revoke.", no_args_is_help=True)
console = Console()

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Store URL (default: $AGENTFORGE_STORE_URL, else the one `serve --workspaces` uses)."),
]
WorkspaceArg = Annotated[str, typer.Option("--workspace", help="The workspace the keys belong to.")]


@keys_app.command("create")
def create(
    workspace: WorkspaceArg,
    name: Annotated[str | None, typer.Option("--name", help="What the key is for (shown in lists).")] = None,
    store: StoreOpt = None,
) -> None:
    """Create a key and print it once: only its hash is stored, so it cannot be shown again."""
    with server_store(console, store) as opened:
        keys = KeyStore(opened)
        record, key = keys.create(workspace, name)
    console.print(f"key {record.key_id} for workspace {workspace} (copy it now; it is not stored):", highlight=False)
    typer.echo(key)


@keys_app.command("list")
def list_keys(
    workspace: WorkspaceArg,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for tools instead of a table.")] = False,
) -> None:
    """The workspace's keys by prefix, with when they were created and revoked (never the keys)."""
    with server_store(console, store) as opened:
        keys = KeyStore(opened)
        found = keys.list(workspace)
    if as_json:
        typer.echo(json.dumps([asdict(k) for k in found], default=str, indent=2))
        return
    table = Table(title=f"API keys of {workspace}")
    for col in ("key", "name", "created", "revoked"):
        table.add_column(col)
    for k in found:
        table.add_row(k.key_id, k.name or "-", f"{k.created_at:%Y-%m-%d %H:%M}", str(k.revoked_at or "-"))
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's prefix (afk_...).")],
    workspace: WorkspaceArg,
    store: StoreOpt = None,
) -> None:
    """Refuse the key from its next request on."""
    with server_store(console, store) as opened:
        keys = KeyStore(opened)
        record = keys.revoke(workspace, key_id)
    console.print(f"revoked {record.key_id} at {record.revoked_at}", highlight=False)

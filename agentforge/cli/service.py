"""`agentforge serve --workspaces`: the multi-tenant server, its store, data folder and admin key."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from agentforge.config import Paths, default_home
from agentforge.errors import AgentforgeError, ConfigError
from agentforge.store import Store


def service_store_url(store: str | None) -> str:
    """`--store`, else `$AGENTFORGE_STORE_URL`, else SQLite under `$AGENTFORGE_HOME` (one user, one node)."""
    return store or os.environ.get("AGENTFORGE_STORE_URL") or Paths(home=default_home()).default_store_url()


def _json_access_log() -> None:
    """One JSON line per request on stdout (the middleware writes them), instead of uvicorn's access log."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("agentforge.api.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False


@contextmanager
def server_store(console: Console, store_url: str | None) -> Iterator[Store]:
    """The server's store for a CLI command; an error is printed and ends the command with status 1."""
    try:
        with Store.open(service_store_url(store_url)) as store:
            yield store
    except AgentforgeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc


def serve_workspaces(
    console: Console,
    *,
    store: str | None,
    data: Path | None,
    admin_key_env: str,
    rate: tuple[str, str],
    host: str,
    port: int,
    models: dict[str, str | None],
    fallbacks: list[str],
    train_after: int | None,
) -> None:
    import uvicorn

    from agentforge.api import create_service
    from agentforge.api.operations import RateLimit
    from agentforge.cli.models import open_fallbacks, open_model
    from agentforge.learn.triggers import train_after_from_env

    admin_key = os.environ.get(admin_key_env) or None
    try:
        if admin_key is not None and len(admin_key) < 32:
            raise ConfigError(f"${admin_key_env} is too short to be an admin key: use at least 32 random characters")
        limit = None if rate[0].lower() in ("none", "off", "0") else RateLimit(*rate)
        url = service_store_url(store)
        opened = Store.open(url)
        chosen = open_model(console, **models)
        others = open_fallbacks(console, fallbacks)
    except AgentforgeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    folder = (data or default_home() / "service").resolve()
    app = create_service(
        opened,
        chosen,
        folder,
        backends=others,
        train_after=train_after_from_env(train_after),
        admin_key=admin_key,
        rate_limit=limit,
    )
    _json_access_log()
    if admin_key is None:
        console.print(f"no ${admin_key_env}: admin routes are off; make keys with `agentforge keys create`")
    if url.startswith("sqlite"):
        console.print("store: SQLite (one node); give --store postgresql://… for a shared service")
    console.print(f"serving workspaces on http://{host}:{port} with {chosen.name}; data in {folder}")
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
    finally:
        opened.close()

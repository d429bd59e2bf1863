"""Open a built app (manifest + store + data dir) and run its API under uvicorn."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from agentforge.artifacts import Manifest
from agentforge.build import DATA_DIR, load_manifest
from agentforge.config import Paths
from agentforge.errors import AgentforgeError
from agentforge.store import Store


@dataclass
class OpenApp:
    """A built app with its store opened and its manifest registered in it."""

    dir: Path
    manifest: Manifest
    store: Store
    data: Paths
    """The app's own data: store file and adapters."""

    def close(self) -> None:
        self.store.close()


def open_app(app_dir: Path, store_url: str | None = None) -> OpenApp:
    manifest = load_manifest(app_dir)
    data = Paths(home=app_dir.resolve() / DATA_DIR)
    data.home.mkdir(parents=True, exist_ok=True)
    store = Store.open(store_url or os.environ.get("AGENTFORGE_STORE_URL") or data.default_store_url())
    store.ensure_workspace(manifest.workspace_id, manifest.app_name)
    store.save_manifest(manifest)
    return OpenApp(dir=app_dir, manifest=manifest, store=store, data=data)


class BackgroundServer:
    """uvicorn in a thread of this process, on a free loopback port unless one is given; the app's lifespan
    runs only when asked (a test often keeps using the engine after the server stops)."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, *, lifespan: bool = False) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on" if lifespan else "off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="agentforge-server", daemon=True)
        self.url = ""

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise AgentforgeError("the API server did not start (is the port free?)")
            time.sleep(0.05)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

"""Uploads into apps: an archive is kept in the workspace's upload folder, unpacked there with hard limits,
scanned, planned and built into the workspace's app folder, one build at a time in a background thread.

Nothing uploaded is imported or run. Everything a build writes stays under `<data>/workspaces/<ws>/`; its
upload folder is removed when the build ends, refused or not. A build a stopped server left unfinished is
run again by the next one when its archive is still there, and marked failed (saying why) when it is not."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentforge.artifacts import Manifest
from agentforge.build import build_app
from agentforge.build.app import DATA_DIR
from agentforge.errors import AgentforgeError, NotFoundError
from agentforge.plan import make_plan
from agentforge.scan import scan_repo
from agentforge.scan.archives import CHUNK, ArchiveLimits, project_root, unpack_archive
from agentforge.store import Store
from agentforge.store.builds import AppBuild, Builds, BuildState
from agentforge.store.tenancy import check_app_name

log = logging.getLogger("agentforge.api.uploads")
DEFAULT_BASE_MODEL = "smollm2-135m-instruct"


class AppBuilder:
    """Runs the builds of every workspace of a server, in the order they were uploaded."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        limits: ArchiveLimits | None = None,
        max_upload_bytes: int = 64 << 20,
        base_model: str = DEFAULT_BASE_MODEL,
        on_built: Callable[[Manifest], None] | None = None,
    ) -> None:
        self.store = store
        self.builds = Builds(store)
        self.data_dir = data_dir
        self.limits = limits or ArchiveLimits()
        self.max_upload_bytes = max_upload_bytes
        """The archive as sent; `limits` bound what it unpacks to."""
        self.base_model = base_model
        self.on_built = on_built
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentforge-build")

    def workspace_dir(self, workspace_id: str) -> Path:
        return self.data_dir / "workspaces" / workspace_id

    def upload_dir(self, workspace_id: str, build_id: str) -> Path:
        return self.workspace_dir(workspace_id) / "uploads" / build_id

    def app_dir(self, workspace_id: str, app_name: str) -> Path:
        return self.workspace_dir(workspace_id) / "apps" / check_app_name(app_name)

    def submit(self, build: AppBuild) -> None:
        self._pool.submit(self._run, build)

    def resume(self) -> int:
        """Queue again the builds a stopped server left unfinished; how many were queued."""
        resumed = 0
        for build in self.builds.unfinished():
            if (self.upload_dir(build.workspace_id, build.id) / "upload").is_file():
                self.submit(build)
                resumed += 1
            else:
                self._fail(build, "the server stopped before the upload was kept; upload it again")
        return resumed

    def close(self) -> None:
        """Wait for the running build; the queued ones stay queued for the next server (`resume`)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, build: AppBuild) -> None:
        folder = self.upload_dir(build.workspace_id, build.id)
        try:
            build = self.builds.advance(build, stage="unpacking", progress=0.1)
            root = project_root(unpack_archive(folder / "upload", folder / "src", self.limits).root)
            build = self.builds.advance(build, stage="scanning", progress=0.3)
            scanned = scan_repo(root)
            build = self.builds.advance(build, stage="planning", progress=0.5)
            plan = make_plan(scanned.modules, root=build.app_name, base_model=self.base_model)
            build = self.builds.advance(build, stage="building", progress=0.7)
            out = self.app_dir(build.workspace_id, build.app_name)
            manifest = build_app(
                root, scanned.modules, plan, out, app_name=build.app_name, workspace_id=build.workspace_id
            )
            self.store.save_manifest(manifest)
            if self.on_built is not None:
                self.on_built(manifest)
            self.builds.advance(
                build, stage="done", progress=1.0, state=BuildState.SUCCEEDED, modules=len(manifest.specs)
            )
        except NotFoundError:  # the workspace was deleted meanwhile
            log.info("build %s: its workspace %s is gone", build.id, build.workspace_id)
        except AgentforgeError as exc:
            self._fail(build, str(exc))
        except Exception as exc:  # a bug must not kill the build thread or leave the build "running"
            log.exception("build %s failed", build.id)
            self._fail(build, f"internal error: {type(exc).__name__}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _fail(self, build: AppBuild, reason: str) -> None:
        with contextlib.suppress(NotFoundError):  # the workspace was deleted meanwhile
            self.builds.advance(build, stage="failed", progress=build.progress, state=BuildState.FAILED, error=reason)


def zip_folder(folder: Path) -> Iterator[bytes]:
    """The built app as a zip, streamed in chunks (spooled to disk past 8 MB); the server's data folder is left
    out."""
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder)
                if rel.parts[0] == DATA_DIR or path.is_symlink() or not path.is_file():
                    continue
                archive.write(path, rel.as_posix())
        buffer.seek(0)
        while chunk := buffer.read(CHUNK):
            yield chunk

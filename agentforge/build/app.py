"""Write the dynamic app: a copy of the repo whose stubs call the runtime, plus its manifest and plan.

The copy is assembled in a staging folder beside `out` and moved into place only when complete, so a
failed build never leaves a half-written app, and a rebuild replaces the previous one in one step. The
source repository is only ever read.
"""

from __future__ import annotations

import json
import posixpath
import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from agentforge.artifacts import DEFAULT_WORKSPACE, Language, Manifest, ModuleSpec, Plan
from agentforge.build.manifest import MANIFEST_FILE, write_manifest
from agentforge.build.rewrite import rewrite_python
from agentforge.build.rewrite_script import flavor_of, import_specifier, parse_script, rewrite_script
from agentforge.build.script_client import Flavor, render_client
from agentforge.catalog import Catalog, load_catalog
from agentforge.errors import BuildError
from agentforge.plan import plan_mermaid, plan_to_yaml

PLAN_FILE = "agentforge.plan.yaml"
MERMAID_FILE = "agentforge.plan.mmd"
DATA_DIR = ".agentforge"
"""The runtime's data inside a built app (store, adapters, datasets): never copied from the source, and
carried over when a rebuild replaces the app, so corrections and trained adapters survive a rebuild."""
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", DATA_DIR})


def _ignore(_folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name in SKIPPED_DIRS or name.endswith(".pyc")}


def _check_folders(root: Path, out: Path) -> None:
    if not root.is_dir():
        raise BuildError(f"the repository {root} is not a folder")
    if out.is_relative_to(root):
        raise BuildError(f"the output folder {out} is inside the repository {root}; choose one outside it")
    if root.is_relative_to(out):
        raise BuildError(f"the repository {root} is inside the output folder {out}; choose another output")
    if out.exists() and not out.is_dir():
        raise BuildError(f"the output {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST_FILE).is_file():
        raise BuildError(
            f"the output folder {out} is not empty and holds no {MANIFEST_FILE} from an earlier build; "
            "refusing to overwrite it"
        )


def _check_plan(specs: Sequence[ModuleSpec], plan: Plan) -> None:
    spec_ids = {spec.id for spec in specs}
    plan_ids = {module.module_id for module in plan.modules}
    if missing := sorted(spec_ids - plan_ids):
        raise BuildError(f"the plan has no entry for {', '.join(missing)}; plan again after scanning")
    if extra := sorted(plan_ids - spec_ids):
        raise BuildError(f"the plan names modules the scan did not find: {', '.join(extra)}; plan again")


def _source_file(root: Path, spec: ModuleSpec) -> Path:
    path = (root / spec.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise BuildError(f"{spec.id}: {spec.path} is not a file inside {root}; rescan the repo")
    if SKIPPED_DIRS.intersection(Path(spec.path).parts):
        raise BuildError(f"{spec.id}: {spec.path} lies in a folder the build does not copy")
    return path


def _rewrite_all(root: Path, specs: Sequence[ModuleSpec]) -> dict[str, bytes]:
    """Every file the build writes differently from the source, by relative path: rewritten Python and JS/TS
    files and the generated JS/TS clients, all computed before anything is written."""
    by_file: dict[str, list[ModuleSpec]] = defaultdict(list)
    for spec in specs:
        by_file[spec.path].append(spec)
    out: dict[str, bytes] = {}
    scripts: dict[str, tuple[bytes, Flavor]] = {}
    for rel, file_specs in by_file.items():
        source = _source_file(root, file_specs[0]).read_bytes()
        if file_specs[0].language is Language.PYTHON:
            out[rel] = rewrite_python(source, file_specs, path=rel)
        else:
            scripts[rel] = (source, flavor_of(rel, parse_script(rel, source), _package_type(root, rel)))
    clients = _client_paths(root, {rel: flavor for rel, (_, flavor) in scripts.items()})
    script_ids = [spec.id for spec in specs if spec.path in scripts]
    for flavor, client in clients.items():
        out[client] = render_client(flavor, script_ids).encode()
    for rel, (source, flavor) in scripts.items():
        specifier = import_specifier(rel, clients[flavor], flavor, source)
        out[rel] = rewrite_script(source, by_file[rel], path=rel, flavor=flavor, specifier=specifier)
    return out


def _package_type(root: Path, rel: str) -> str | None:
    """The `type` of the nearest package.json above `rel` inside the repo ("module", "commonjs"), as Node reads it."""
    folder = (root / rel).parent
    while folder.is_relative_to(root):
        manifest = folder / "package.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            kind = data.get("type") if isinstance(data, dict) else None
            return kind if isinstance(kind, str) else None
        if folder == root:
            break
        folder = folder.parent
    return None


def _client_paths(root: Path, flavors: dict[str, Flavor]) -> dict[Flavor, str]:
    """Where each needed client goes: the deepest folder holding every stub file of that module system, so it
    sits under the same `rootDir`/`include` as they do. A file of the repo's own there is never overwritten."""
    paths: dict[Flavor, str] = {}
    for flavor in sorted(set(flavors.values())):
        folders = [posixpath.dirname(rel) for rel, f in flavors.items() if f is flavor]
        common = posixpath.commonpath(folders) if all(folders) else ""
        client = posixpath.join(common, flavor.filename) if common else flavor.filename
        existing = root / client
        if existing.exists() and b"Generated by `agentforge build`" not in existing.read_bytes()[:200]:
            raise BuildError(f"{client} already exists in the repository; rename it so the build can write its client")
        paths[flavor] = client
    return paths


def _publish(staging: Path, out: Path) -> None:
    """Move the finished build into place. An earlier build is swapped out whole, except its runtime data,
    which moves into the new build; if the final move fails, everything is put back."""
    if not out.exists():
        staging.rename(out)
        return
    previous = out.with_name(f".{out.name}.previous-{uuid.uuid4().hex[:8]}")
    out.rename(previous)
    data = previous / DATA_DIR
    if data.is_dir():
        data.rename(staging / DATA_DIR)
    try:
        staging.rename(out)
    except OSError:
        if (staging / DATA_DIR).is_dir():
            (staging / DATA_DIR).rename(data)
        previous.rename(out)
        raise
    shutil.rmtree(previous)


def build_app(
    root: Path,
    specs: Sequence[ModuleSpec],
    plan: Plan,
    out: Path,
    *,
    app_name: str | None = None,
    workspace_id: str = DEFAULT_WORKSPACE,
    catalog: Catalog | None = None,
) -> Manifest:
    """Copy `root` to `out` with every stub rewritten to call the runtime (Python through
    `agentforge.runtime.client`, JS/TS through a generated `agentforge_client` module), and write
    `agentforge.yaml` (the manifest), `agentforge.plan.yaml` and `agentforge.plan.mmd` beside it. The catalog
    the plan was made with travels in the manifest as its workspace entries, for the runtime and the trainer."""
    root, out = root.resolve(), out.resolve()
    _check_folders(root, out)
    specs = [spec for spec in specs if spec.id not in plan.excluded]
    _check_plan(specs, plan)
    rewritten = _rewrite_all(root, specs)
    plan = plan.model_copy(update={"mermaid": plan_mermaid(plan, specs)})
    manifest = Manifest(
        app_name=app_name or root.name,
        source_root=str(root),
        workspace_id=workspace_id,
        specs=list(specs),
        plan=plan,
        catalog=(catalog or load_catalog()).workspace_entries(),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".building", dir=out.parent))
    try:
        shutil.copytree(root, staging, symlinks=True, ignore=_ignore, dirs_exist_ok=True)
        for rel, text in rewritten.items():
            target = staging / rel
            if target.is_symlink():  # never write through a link into the source repo
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text)
        (staging / PLAN_FILE).write_text(plan_to_yaml(plan), encoding="utf-8")
        (staging / MERMAID_FILE).write_text(plan.mermaid, encoding="utf-8")
        write_manifest(staging, manifest)
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest

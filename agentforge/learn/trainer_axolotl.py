"""The Axolotl trainer: the recipe as an Axolotl config, the items pre-tokenized exactly as serving prompts them,
and Axolotl's own CLI run on them (multi-GPU, FSDP/DeepSpeed, the 70B QLoRA recipes).

The dataset is written pre-tokenized (`input_ids`, `attention_mask`, `labels` with the prompt masked), so
Axolotl trains on the very prompt the runtime sends and needs no prompt template of its own. `axolotl` is looked
up on `PATH` (or `$AGENTFORGE_AXOLOTL`, a command line) when a recipe says `trainer: axolotl`; nothing is
imported from it. Its output folder is a PEFT adapter, checked before it is renamed into place.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import yaml

from agentforge.errors import TrainingError
from agentforge.learn.dataset import TrainItem
from agentforge.learn.recipe import Recipe
from agentforge.learn.trainer import FormatText, Progress, TrainResult, check_inputs, encode_items

__all__ = ["AXOLOTL_ENV", "INSTALL_HINT", "axolotl_command", "prepare_axolotl_run", "train_axolotl"]

AXOLOTL_ENV = "AGENTFORGE_AXOLOTL"
"""A command line that runs Axolotl's CLI (default: `axolotl` on `PATH`)."""
INSTALL_HINT = (
    "pip install 'agentforge[axolotl]' on a CUDA machine (see https://docs.axolotl.ai), or set $AGENTFORGE_AXOLOTL"
)


def axolotl_command() -> list[str]:
    """The Axolotl CLI as a command line; TrainingError with the install hint when there is none."""
    configured = os.environ.get(AXOLOTL_ENV, "").strip()
    if configured:
        return shlex.split(configured)
    found = shutil.which("axolotl")
    if found is None:
        raise TrainingError(f"the axolotl trainer needs Axolotl's CLI, which is not installed ({INSTALL_HINT})")
    return [found]


def prepare_axolotl_run(
    tokenizer: object, items: Sequence[TrainItem], recipe: Recipe, work: Path, *, format_text: FormatText
) -> Path:
    """Write `work/train.jsonl` (pre-tokenized) and `work/axolotl.yaml`; returns the config's path."""
    encoded = encode_items(tokenizer, items, format_text, recipe)
    work.mkdir(parents=True, exist_ok=True)
    data = work / "train.jsonl"
    with data.open("w", encoding="utf-8") as f:
        for e in encoded:
            labels = [-100] * e.prompt_len + e.input_ids[e.prompt_len :]
            row = {"input_ids": e.input_ids, "attention_mask": [1] * len(e.input_ids), "labels": labels}
            f.write(json.dumps(row) + "\n")
    config = recipe.to_axolotl(str(data), str(work / "output"))
    path = work / "axolotl.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def train_axolotl(
    model_dir: Path,
    items: Sequence[TrainItem],
    recipe: Recipe,
    out_dir: Path,
    *,
    format_text: FormatText,
    progress: Progress | None = None,
) -> TrainResult:
    """Run Axolotl on the recipe and move its adapter to `out_dir`. `model_dir` gives the tokenizer."""
    check_inputs(items, out_dir)
    command = axolotl_command()
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except (ImportError, OSError, ValueError) as exc:
        raise TrainingError(f"cannot load the tokenizer from {model_dir}: {exc}") from exc
    started = time.perf_counter()
    work = out_dir.parent / f".axolotl-{uuid.uuid4().hex}"
    try:
        config = prepare_axolotl_run(tokenizer, items, recipe, work, format_text=format_text)
        log_path = work / "axolotl.log"
        with log_path.open("w", encoding="utf-8") as log:
            done = subprocess.run([*command, "train", str(config)], stdout=log, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise TrainingError(f"axolotl exited with {done.returncode}; the end of its log:\n{tail}")
        output = work / "output"
        if not (output / "adapter_config.json").is_file():
            raise TrainingError(f"axolotl finished but {output} holds no PEFT adapter (adapter_config.json)")
        if out_dir.exists():
            raise TrainingError(f"adapter directory {out_dir} appeared while training; adapters are immutable")
        os.replace(output, out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if progress is not None:
        progress(1, 1)
    seconds = time.perf_counter() - started
    losses = _losses(out_dir)
    return TrainResult(
        seconds=seconds,
        loop_seconds=seconds,
        steps=len(losses),
        epochs=recipe.num_epochs,
        examples=len(items),
        completion_tokens=0,
        final_loss=losses[-1] if losses else float("nan"),
        epoch_losses=[],
        losses=losses,
    )


def _losses(out_dir: Path) -> list[float]:
    """The training losses Axolotl's Hugging Face trainer logged (`trainer_state.json`), when it left them."""
    state = out_dir / "trainer_state.json"
    if not state.is_file():
        return []
    history = json.loads(state.read_text(encoding="utf-8")).get("log_history", [])
    return [float(row["loss"]) for row in history if isinstance(row, dict) and "loss" in row]

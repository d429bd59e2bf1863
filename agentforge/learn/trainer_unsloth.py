"""The Unsloth trainer: the same LoRA/QLoRA adapter as `trainer.train_lora`, loaded and patched by Unsloth on a
CUDA GPU (faster kernels, 4-bit base weights for the QLoRA recipes).

Only the loading differs: Unsloth's `FastLanguageModel` gives a PEFT model, which then goes through the shared
loop (`trainer.fit_and_save`: completion-only loss, shared-prefix batches, seeded order) and is saved by PEFT,
so the adapter folder is the one every back end loads. `unsloth` is imported only here, when a recipe says
`trainer: unsloth`; it needs an NVIDIA GPU and says so before importing anything heavy.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from agentforge.errors import TrainingError
from agentforge.learn.dataset import TrainItem
from agentforge.learn.recipe import HUB_IDS, Recipe
from agentforge.learn.trainer import (
    FormatText,
    Progress,
    TrainResult,
    check_inputs,
    encode_items,
    fit_and_save,
    pad_token_id,
)

__all__ = ["INSTALL_HINT", "train_unsloth"]

INSTALL_HINT = (
    "pip install 'agentforge[unsloth]' on a machine with an NVIDIA GPU and CUDA (see https://docs.unsloth.ai)"
)


def _require_gpu() -> None:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise TrainingError(f"the unsloth trainer needs torch: {exc}") from exc
    if not torch.cuda.is_available():
        raise TrainingError(
            "the unsloth trainer runs on an NVIDIA GPU only and this machine has none (torch.cuda.is_available() "
            "is False); use a `trainer: peft` recipe such as cpu-default, or run the worker on a GPU machine"
        )


def train_unsloth(
    model_ref: str | Path,
    items: Sequence[TrainItem],
    recipe: Recipe,
    out_dir: Path,
    *,
    format_text: FormatText,
    progress: Progress | None = None,
) -> TrainResult:
    """Train `recipe` (LoRA, or QLoRA when `load_in_4bit`) with Unsloth and write the PEFT adapter to `out_dir`.

    `model_ref` is a model folder or a Hugging Face id (the recipe's `base_model` as Unsloth resolves it).
    """
    check_inputs(items, out_dir)
    _require_gpu()
    try:
        from unsloth import FastLanguageModel
    except ImportError as exc:
        raise TrainingError(f"the unsloth trainer needs the unsloth package ({INSTALL_HINT}): {exc}") from exc
    started = time.perf_counter()
    name = str(model_ref) if isinstance(model_ref, Path) else HUB_IDS.get(model_ref, model_ref)
    try:
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name=name,
            max_seq_length=recipe.max_seq_len,
            load_in_4bit=recipe.load_in_4bit,
            dtype=None,
        )
        model = FastLanguageModel.get_peft_model(
            model,
            r=recipe.lora_r,
            lora_alpha=recipe.lora_alpha,
            lora_dropout=recipe.lora_dropout,
            target_modules=list(recipe.lora_target_modules),
            bias="none",
            use_gradient_checkpointing="unsloth",
            random_state=recipe.seed,
        )
    except Exception as exc:
        raise TrainingError(f"unsloth cannot load {name}: {type(exc).__name__}: {exc}") from exc
    encoded = encode_items(tokenizer, items, format_text, recipe)
    return fit_and_save(model, encoded, pad_token_id(tokenizer), recipe, out_dir, progress, started)

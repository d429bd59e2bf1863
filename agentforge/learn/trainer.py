"""The in-process PEFT trainer: a rank-r LoRA on a causal LM, in a plain torch loop (CPU or GPU).

The loss is taken on the completion tokens only. Runs are seeded: the same model, items and recipe give
the same adapter on the same machine. The adapter is written to a temporary directory beside `out_dir`
and renamed into place at the end, so `out_dir` either holds a complete adapter or does not exist.

torch, transformers and peft are imported when `train_lora` runs (they are the `local` extra).
"""

from __future__ import annotations

import math
import os
import shutil
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from agentforge.errors import TrainingError
from agentforge.learn.dataset import TrainItem
from agentforge.learn.recipe import Recipe
from agentforge.llm.base import Message
from agentforge.llm.weights import quiet_transformers

if TYPE_CHECKING:
    import torch

__all__ = ["IGNORE_INDEX", "FormatText", "Progress", "TrainResult", "library_versions", "train_lora"]

IGNORE_INDEX = -100
"""Label of tokens that carry no loss (prompt and padding)."""

FormatText = Callable[[list[Message], str], tuple[str, str]]
"""`(messages, target) -> (prompt_text, completion_text)`: the serving model's own chat formatting."""

Progress = Callable[[int, int], None]
"""`progress(step, total_steps)`, called after every optimizer step (steps count from 1)."""


class TrainResult(BaseModel):
    """What a training run did."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    seconds: float
    """Wall-clock seconds of the whole run: load, train, save."""
    loop_seconds: float
    """Seconds spent in the training loop alone."""
    steps: int
    """Optimizer steps taken."""
    epochs: int
    examples: int
    """Training items per epoch."""
    completion_tokens: int
    """Tokens that carry loss, per epoch."""
    final_loss: float
    """Mean completion-token loss over the last epoch."""
    epoch_losses: list[float]
    """Mean completion-token loss of each epoch."""
    losses: list[float]
    """Loss of each optimizer step."""

    @property
    def seconds_per_example(self) -> float:
        """Training-loop seconds per example per epoch."""
        return self.loop_seconds / max(1, self.examples * self.epochs)


@dataclass(frozen=True)
class _Encoded:
    input_ids: list[int]
    prompt_len: int
    """Tokens before the completion; they carry no loss."""


def _encode(tokenizer: Any, items: Sequence[TrainItem], format_text: FormatText, max_seq_len: int) -> list[_Encoded]:
    encoded: list[_Encoded] = []
    for index, item in enumerate(items):
        prompt, completion = format_text(list(item.messages), item.target)
        prompt_ids: list[int] = list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        completion_ids: list[int] = list(tokenizer(completion, add_special_tokens=False)["input_ids"])
        if not completion_ids:
            raise TrainingError(f"training item {index} has an empty completion")
        room = max_seq_len - len(completion_ids)
        if room < 1:
            raise TrainingError(
                f"training item {index}: the completion alone is {len(completion_ids)} tokens, "
                f"max_seq_len is {max_seq_len}"
            )
        if len(prompt_ids) > room:
            prompt_ids = prompt_ids[len(prompt_ids) - room :]  # keep the end of the prompt
        encoded.append(_Encoded(prompt_ids + completion_ids, len(prompt_ids)))
    return encoded


def _collate(batch: Sequence[_Encoded], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-pad to the longest in the batch: input ids, attention mask, labels (prompt/padding ignored)."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    for row, e in enumerate(batch):
        ids = torch.tensor(e.input_ids, dtype=torch.long)
        input_ids[row, : len(ids)] = ids
        attention[row, : len(ids)] = 1
        labels[row, e.prompt_len : len(ids)] = ids[e.prompt_len :]
    return input_ids, attention, labels


def _batch_loss(model: Any, batch: Sequence[_Encoded], pad_id: int) -> tuple[torch.Tensor, int]:
    """Mean next-token loss over the batch's completion tokens, and how many there were.

    Only the positions that predict a completion token go through the LM head (`logits_to_keep`),
    which spares most of the vocabulary projection for short answers after long prompts.
    """
    import torch

    input_ids, attention, labels = _collate(batch, pad_id)
    targets = labels[:, 1:]  # position t predicts token t + 1
    keep = (targets != IGNORE_INDEX).any(dim=0).nonzero().squeeze(1)
    logits = model(input_ids=input_ids, attention_mask=attention, logits_to_keep=keep).logits
    kept_targets = targets[:, keep]
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), kept_targets.reshape(-1), ignore_index=IGNORE_INDEX
    )
    return loss, int((kept_targets != IGNORE_INDEX).sum())


def _lr_factor(recipe: Recipe, total_steps: int) -> Callable[[int], float]:
    warmup = round(recipe.warmup_ratio * total_steps)

    def factor(step: int) -> float:  # step counts from 0
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if recipe.lr_scheduler == "constant":
            return 1.0
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return factor


def library_versions() -> dict[str, str]:
    """torch, transformers and peft versions, for the adapter card."""
    import peft
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}


def train_lora(
    model_dir: Path,
    items: Sequence[TrainItem],
    recipe: Recipe,
    out_dir: Path,
    *,
    format_text: FormatText,
    progress: Progress | None = None,
) -> TrainResult:
    """Train a LoRA adapter on `items` and write it to `out_dir` (which must not exist).

    `model_dir` holds the base model (config, safetensors, tokenizer); it is loaded in float32.
    `format_text` turns an item into prompt and completion text exactly as the serving model formats
    a chat (the `LocalModel`'s `format_training_text`). Raises `TrainingError` on any failure, leaving
    nothing under `out_dir`.
    """
    if recipe.trainer != "peft" or recipe.adapter != "lora" or recipe.load_in_4bit:
        raise TrainingError(
            "the in-process trainer runs `trainer: peft, adapter: lora` recipes; this one is "
            f"trainer={recipe.trainer}, adapter={recipe.adapter}, load_in_4bit={recipe.load_in_4bit}"
        )
    if not items:
        raise TrainingError("no training items")
    if out_dir.exists():
        raise TrainingError(f"adapter directory {out_dir} already exists; adapters are immutable")
    if not (model_dir / "config.json").is_file():
        raise TrainingError(f"{model_dir} is not a model directory (no config.json)")

    started = time.perf_counter()
    try:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise TrainingError(f"training needs the `local` extra (torch, transformers, peft): {exc}") from exc

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot load the tokenizer from {model_dir}: {exc}") from exc
    try:
        encoded = _encode(tokenizer, items, format_text, recipe.max_seq_len)
    except TrainingError:
        raise
    except Exception as exc:
        raise TrainingError(f"cannot format the training items: {type(exc).__name__}: {exc}") from exc
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    try:
        with quiet_transformers(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot load the base model from {model_dir}: {exc}") from exc
    base.config.use_cache = False

    n = len(encoded)
    batches_per_epoch = math.ceil(n / recipe.micro_batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / recipe.gradient_accumulation_steps)
    total_steps = steps_per_epoch * recipe.num_epochs
    completion_tokens = sum(len(e.input_ids) - e.prompt_len for e in encoded)

    tmp_dir = out_dir.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with torch.random.fork_rng(devices=[]):  # seed locally; leave the caller's RNG alone
            torch.manual_seed(recipe.seed)
            lora = LoraConfig(
                r=recipe.lora_r,
                lora_alpha=recipe.lora_alpha,
                lora_dropout=recipe.lora_dropout,
                target_modules=list(recipe.lora_target_modules),
                bias="none",
                task_type="CAUSAL_LM",
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                model = get_peft_model(base, lora)
            model.train()
            params = [p for p in model.parameters() if p.requires_grad]
            optimizer = torch.optim.AdamW(params, lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(recipe, total_steps))
            order = torch.Generator().manual_seed(recipe.seed)

            loop_started = time.perf_counter()
            losses: list[float] = []
            epoch_losses: list[float] = []
            step = 0
            for _epoch in range(recipe.num_epochs):
                perm = torch.randperm(n, generator=order).tolist()
                batches = [
                    [encoded[i] for i in perm[s : s + recipe.micro_batch_size]]
                    for s in range(0, n, recipe.micro_batch_size)
                ]
                loss_sum, token_sum = 0.0, 0
                for g in range(0, len(batches), recipe.gradient_accumulation_steps):
                    group = batches[g : g + recipe.gradient_accumulation_steps]
                    step_losses: list[float] = []
                    for batch in group:
                        loss, tokens = _batch_loss(model, batch, pad_id)
                        torch.autograd.backward(loss / len(group))
                        step_losses.append(float(loss.detach()))
                        loss_sum += step_losses[-1] * tokens
                        token_sum += tokens
                    if recipe.max_grad_norm is not None:
                        torch.nn.utils.clip_grad_norm_(params, recipe.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                    step += 1
                    losses.append(sum(step_losses) / len(step_losses))
                    if not math.isfinite(losses[-1]):
                        raise TrainingError(f"the loss diverged at step {step} ({losses[-1]})")
                    if progress is not None:
                        progress(step, total_steps)
                epoch_losses.append(loss_sum / max(1, token_sum))
            loop_seconds = time.perf_counter() - loop_started

        model.save_pretrained(str(tmp_dir))
        if out_dir.exists():
            raise TrainingError(f"adapter directory {out_dir} appeared while training; adapters are immutable")
        os.replace(tmp_dir, out_dir)
    except TrainingError:
        raise
    except Exception as exc:
        raise TrainingError(f"training failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)

    return TrainResult(
        seconds=time.perf_counter() - started,
        loop_seconds=loop_seconds,
        steps=step,
        epochs=recipe.num_epochs,
        examples=n,
        completion_tokens=completion_tokens,
        final_loss=epoch_losses[-1],
        epoch_losses=epoch_losses,
        losses=losses,
    )

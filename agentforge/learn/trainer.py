"""The in-process PEFT trainer: a rank-r LoRA on a causal LM, in a plain torch loop (CPU or GPU).

The loss is taken on the completion tokens only. Runs are seeded: the same model, items and recipe give
the same adapter on the same machine. The adapter is written to a temporary directory beside `out_dir`
and renamed into place at the end, so `out_dir` either holds a complete adapter or does not exist.

torch, transformers and peft are imported when `train_lora` runs (they are the `local` extra).
"""

from __future__ import annotations

import inspect
import logging
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

log = logging.getLogger("agentforge.train")

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


def _encode(
    tokenizer: Any, items: Sequence[TrainItem], format_text: FormatText, max_seq_len: int, *, completion: bool = False
) -> list[_Encoded]:
    """Token ids and prompt length of each item; with `completion`, the answer alone (raw text, all of it trained)."""
    encoded: list[_Encoded] = []
    cut = 0
    for index, item in enumerate(items):
        prompt, completion_text = format_text(list(item.messages), item.target)
        if completion:
            prompt, completion_text = "", item.target + (tokenizer.eos_token or "")
        prompt_ids: list[int] = list(tokenizer(prompt, add_special_tokens=False)["input_ids"]) if prompt else []
        completion_ids: list[int] = list(tokenizer(completion_text, add_special_tokens=False)["input_ids"])
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
            cut += 1
        encoded.append(_Encoded(prompt_ids + completion_ids, len(prompt_ids)))
    if cut:
        log.warning(
            "%d of %d training items are longer than max_seq_len %d and lose the start of their prompt, which "
            "serving keeps: raise the recipe's max_seq_len",
            cut,
            len(items),
            max_seq_len,
        )
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


SHARED_PREFIX_MIN_TOKENS = 16
"""Shortest prompt prefix common to a whole batch that is worth one shared forward pass."""


def _shared_prefix(batch: Sequence[_Encoded]) -> int:
    """Tokens every item of the batch starts with, stopping before the last prompt token of the shortest prompt
    (that position predicts the first completion token, so it must stay in each row's own pass)."""
    first = batch[0].input_ids
    length = min(e.prompt_len for e in batch) - 1
    for e in batch[1:]:
        same = 0
        while same < length and e.input_ids[same] == first[same]:
            same += 1
        length = same
    return max(length, 0)


def cache_kwarg(model: Any) -> str:
    """The name a model's forward takes its KV cache by (`cache` in newer transformers, `past_key_values` before)."""
    forward = model.get_base_model().forward if hasattr(model, "get_base_model") else model.forward
    return "cache" if "cache" in inspect.signature(forward).parameters else "past_key_values"


def _batch_loss(
    model: Any, batch: Sequence[_Encoded], pad_id: int, cache_kw: str = "past_key_values"
) -> tuple[torch.Tensor, int]:
    """Mean next-token loss over the batch's completion tokens, and how many there were.

    A module's items share its system turn, often hundreds of tokens (a classifier's label list) against a few
    dozen of input and answer; that common prefix goes through the model once, its KV cache is repeated for
    every row, and only the rows' own tokens are run on top, so the gradient is the same at a fraction of the
    cost. Only the positions that predict a completion token go through the LM head (`logits_to_keep`).
    """
    import torch

    device = next(model.parameters()).device
    shared = _shared_prefix(batch) if len(batch) > 1 else 0
    cache = None
    if shared >= SHARED_PREFIX_MIN_TOKENS:
        out = model(input_ids=torch.tensor([batch[0].input_ids[:shared]], device=device), use_cache=True)
        cache = out.get("cache") or out.get("past_key_values")
    if cache is not None:  # none when the model refuses a cache (activation checkpointing): the plain way
        cache.batch_repeat_interleave(len(batch))
        batch = [_Encoded(e.input_ids[shared:], e.prompt_len - shared) for e in batch]
    else:
        shared = 0
    input_ids, attention, labels = (t.to(device) for t in _collate(batch, pad_id))
    if cache is not None:
        attention = torch.cat([attention.new_ones((len(batch), shared)), attention], dim=1)
    targets = labels[:, 1:]  # position t predicts token t + 1
    keep = (targets != IGNORE_INDEX).any(dim=0).nonzero().squeeze(1)
    logits = model(
        input_ids=input_ids,
        attention_mask=attention,
        use_cache=cache is not None,
        logits_to_keep=keep,
        **({cache_kw: cache} if cache is not None else {}),
    ).logits
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


def check_inputs(items: Sequence[TrainItem], out_dir: Path) -> None:
    """What every trainer refuses before loading anything."""
    if not items:
        raise TrainingError("no training items")
    if out_dir.exists():
        raise TrainingError(f"adapter directory {out_dir} already exists; adapters are immutable")


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

    `model_dir` holds the base model (config, safetensors, tokenizer); it is loaded in float32 on the GPU when
    there is one, else on the CPU. `format_text` turns an item into prompt and completion text exactly as the
    serving model formats a chat (the `LocalModel`'s `format_training_text`). Raises `TrainingError` on any
    failure, leaving nothing under `out_dir`.
    """
    if recipe.trainer != "peft" or recipe.adapter != "lora" or recipe.load_in_4bit:
        raise TrainingError(
            "the in-process trainer runs `trainer: peft, adapter: lora` recipes; this one is "
            f"trainer={recipe.trainer}, adapter={recipe.adapter}, load_in_4bit={recipe.load_in_4bit}"
        )
    check_inputs(items, out_dir)
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
    encoded = encode_items(tokenizer, items, format_text, recipe)
    try:
        with quiet_transformers(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            device = "cuda" if torch.cuda.is_available() else "cpu"
            base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, device_map=device)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot load the base model from {model_dir}: {exc}") from exc
    base.config.use_cache = False
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
    return fit_and_save(model, encoded, pad_token_id(tokenizer), recipe, out_dir, progress, started)


def encode_items(tokenizer: Any, items: Sequence[TrainItem], format_text: FormatText, recipe: Recipe) -> list[_Encoded]:
    try:
        return _encode(tokenizer, items, format_text, recipe.max_seq_len, completion=recipe.format == "completion")
    except TrainingError:
        raise
    except Exception as exc:
        raise TrainingError(f"cannot format the training items: {type(exc).__name__}: {exc}") from exc


def pad_token_id(tokenizer: Any) -> int:
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    return int(pad_id)


def fit_and_save(
    model: Any,
    encoded: list[_Encoded],
    pad_id: int,
    recipe: Recipe,
    out_dir: Path,
    progress: Progress | None,
    started: float,
) -> TrainResult:
    """The training loop every in-process trainer shares, on a PEFT model already on its device; then the adapter
    is saved to a temporary folder beside `out_dir` and renamed into place."""
    import torch

    n = len(encoded)
    batches_per_epoch = math.ceil(n / recipe.micro_batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / recipe.gradient_accumulation_steps)
    total_steps = steps_per_epoch * recipe.num_epochs
    completion_tokens = sum(len(e.input_ids) - e.prompt_len for e in encoded)

    tmp_dir = out_dir.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(recipe.seed)
            model.train()
            cache_kw = cache_kwarg(model)
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
                        loss, tokens = _batch_loss(model, batch, pad_id, cache_kw)
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

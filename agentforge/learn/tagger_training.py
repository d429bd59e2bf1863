"""Training an adapter version's span tagger (`runtime/tagger.py`) on the module's training corrections.

A tagger is trained only where it can learn: the module's output is an object of string fields, and nearly every
value its corrections give is a span of the input (`ALIGNED_MIN`); a module that rewrites, normalises or invents
its values gets none. Its schedule comes from the data alone: as many epochs as make `EXAMPLE_PASSES` examples
seen (at most `MAX_EPOCHS`), so ten corrections get thirty epochs and three hundred four; the recipe's
`tagger_seconds` only stops a run that would overrun (the card says so). Training is seeded, like the LoRA's.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentforge.artifacts import Example, ModuleSpec
from agentforge.errors import TrainingError
from agentforge.runtime.retrieval import document_text
from agentforge.runtime.tagger import (
    TAGGER_DIR,
    Tagger,
    TaggerConfig,
    default_encoder,
    find_span,
    span_fields,
    tag_ids,
)

__all__ = ["ALIGNED_MIN", "TaggerRun", "tagger_rows", "train_tagger"]

ALIGNED_MIN = 0.9
"""Share of the corrections' non-empty string values that must be found in their inputs."""
MIN_ROWS = 4
EXAMPLE_PASSES = 1200
MAX_EPOCHS = 30
BATCH = 8
LORA_R = 16
LEARNING_RATE = 2e-3
HEAD_LEARNING_RATE = 5e-3

Rows = list[tuple[str, dict[str, Any]]]
"""Each correction's input text (as retrieval renders it) and its answer."""


@dataclass(frozen=True)
class TaggerRun:
    encoder: str
    rows: int
    aligned: float
    """Share of the answers' values found in their inputs."""
    epochs: int
    steps: int
    seconds: float
    final_loss: float
    stopped_early: bool
    """Whether the recipe's time limit ended the run before its schedule did."""

    def metrics(self) -> dict[str, float]:
        """The figures an adapter card keeps (`tagger_*`)."""
        return {
            "tagger_rows": float(self.rows),
            "tagger_aligned": round(self.aligned, 4),
            "tagger_epochs": float(self.epochs),
            "tagger_steps": float(self.steps),
            "tagger_seconds": round(self.seconds, 2),
            "tagger_final_loss": round(self.final_loss, 4),
            "tagger_stopped_early": float(self.stopped_early),
        }


def tagger_rows(spec: ModuleSpec, examples: Sequence[Example]) -> tuple[Rows, float] | None:
    """The rows a tagger of this module trains on and the share of their values found in their inputs; None
    when the module cannot have one (not an object of strings, too few rows, values not copied from inputs)."""
    fields = span_fields(spec.output_schema)
    if fields is None:
        return None
    rows = [(document_text(e.input), e.target) for e in examples if isinstance(e.target, dict)]
    values = [(text, v) for text, target in rows for v in target.values() if isinstance(v, str) and v.strip()]
    if len(rows) < MIN_ROWS or not values:
        return None
    aligned = sum(find_span(text, v) is not None for text, v in values) / len(values)
    return (rows, aligned) if aligned >= ALIGNED_MIN else None


def train_tagger(
    spec: ModuleSpec,
    rows: Rows,
    aligned: float,
    version_dir: Path,
    *,
    seed: int,
    max_seconds: float,
    progress: Callable[[int, int], None] | None = None,
) -> TaggerRun:
    """Train the module's tagger on `rows` and save it in `version_dir/tagger`."""
    import torch

    fields = span_fields(spec.output_schema)
    if fields is None:
        raise TrainingError(f"{spec.id}: a tagger needs an object output of string fields")
    started = time.monotonic()
    encoder = default_encoder()
    torch.manual_seed(seed)
    tagger = Tagger(TaggerConfig(encoder=encoder, fields=fields, lora_r=LORA_R, lora_alpha=2 * LORA_R))
    batch, offsets = tagger.tokens([text for text, _ in rows])
    labels = torch.full(batch["input_ids"].shape, -100)
    for i, ((text, target), spans) in enumerate(zip(rows, offsets, strict=True)):
        labels[i, : len(spans)] = torch.tensor(tag_ids(text, target, spans, fields))
    lora, head = tagger.lora_parameters(), list(tagger.head.parameters())
    for p in [*lora, *head]:
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(
        [{"params": lora, "lr": LEARNING_RATE}, {"params": head, "lr": HEAD_LEARNING_RATE}], weight_decay=0.0
    )
    epochs = max(1, min(MAX_EPOCHS, math.ceil(EXAMPLE_PASSES / len(rows))))
    per_epoch = math.ceil(len(rows) / BATCH)
    total = epochs * per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / total))
    rng, order = random.Random(seed), list(range(len(rows)))
    steps, losses, stopped = 0, [0.0], False
    tagger.encoder.train()
    with torch.enable_grad():
        for _ in range(epochs):
            rng.shuffle(order)
            losses = []
            for begin in range(0, len(order), BATCH):
                rows_in = order[begin : begin + BATCH]
                width = int(batch["attention_mask"][rows_in].sum(1).max())
                inputs = {k: v[rows_in, :width] for k, v in batch.items()}
                logits = tagger.logits(inputs)
                loss: Any = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), labels[rows_in, :width].reshape(-1), ignore_index=-100
                )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                steps += 1
                losses.append(loss.item())
                if progress:
                    progress(steps, total)
            if time.monotonic() - started > max_seconds and steps < total:
                stopped = True
                break
    tagger.encoder.eval()
    tagger.save(version_dir / TAGGER_DIR)
    final = sum(losses) / len(losses) if losses else 0.0
    return TaggerRun(encoder, len(rows), aligned, epochs, steps, time.monotonic() - started, final, stopped)

"""One entry point for every trainer a recipe can name (`trainer: peft | unsloth | axolotl`).

All three take the same items (the serving prompt and the answer) and leave the same thing behind: a PEFT adapter
folder at `out_dir`, put there in one rename. The GPU trainers are imported only when a recipe asks for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agentforge.learn.dataset import TrainItem
from agentforge.learn.recipe import Recipe
from agentforge.learn.trainer import FormatText, Progress, TrainResult, train_lora

__all__ = ["train_adapter"]


def train_adapter(
    model_dir: Path,
    items: Sequence[TrainItem],
    recipe: Recipe,
    out_dir: Path,
    *,
    format_text: FormatText,
    progress: Progress | None = None,
) -> TrainResult:
    """Train `recipe` with the trainer it names; `TrainingError` (with what to install or change) when it cannot
    run here."""
    if recipe.trainer == "unsloth":
        from agentforge.learn.trainer_unsloth import train_unsloth

        return train_unsloth(model_dir, items, recipe, out_dir, format_text=format_text, progress=progress)
    if recipe.trainer == "axolotl":
        from agentforge.learn.trainer_axolotl import train_axolotl

        return train_axolotl(model_dir, items, recipe, out_dir, format_text=format_text, progress=progress)
    return train_lora(model_dir, items, recipe, out_dir, format_text=format_text, progress=progress)

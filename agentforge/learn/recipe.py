"""LoRA training recipes: Axolotl-style YAML files in the repository's `adapters/` folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentforge.errors import TrainingError

__all__ = ["ADAPTERS_DIR", "DEFAULT_MODEL", "DEFAULT_RECIPE", "HUB_IDS", "Recipe", "load_recipe"]

ADAPTERS_DIR = Path(__file__).resolve().parents[2] / "adapters"
"""The built-in recipes (`adapters/<name>.yaml`) and the adapter card schema."""

DEFAULT_RECIPE = "cpu-default"

DEFAULT_MODEL = "smollm2-135m-instruct"
"""The embedded default model (the same name as `agentforge.llm.weights.DEFAULT_MODEL`)."""

HUB_IDS = {DEFAULT_MODEL: "HuggingFaceTB/SmolLM2-135M-Instruct"}
"""Hugging Face ids of the models agentforge names itself (for configs read by other tools)."""


class Recipe(BaseModel):
    """How to train one LoRA adapter. Keys follow Axolotl's names where Axolotl has one."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    base_model: str = DEFAULT_MODEL
    """The base model the adapter is trained for, as `agentforge.llm.weights.resolve_model_dir` takes it:
    `smollm2-135m-instruct` (the embedded default), a local model directory, or a Hugging Face id."""
    trainer: Literal["peft", "unsloth", "axolotl"] = "peft"
    """`peft` (in-process, CPU or GPU), `unsloth` (in-process, NVIDIA GPU only) or `axolotl` (its CLI, when
    installed, on a config written from this recipe)."""
    adapter: Literal["lora", "qlora"] = "lora"
    format: Literal["chat", "completion"] = "chat"
    """`chat`: each item is the module's prompt as serving sends it, with the loss on the answer. `completion`:
    the answers alone as raw text with the loss on every token, to learn a style or a domain (a novelist's prose)
    for generation modules."""

    prompt: Literal["auto", "full", "compact"] = "full"
    """How a label module's prompt names its labels. `full` (the default) lists them all; `compact` says only how
    many there are: the label set is enforced by scoring at run time and must be learned by the adapter. `auto`:
    compact when the list would pass `runtime.prompts.COMPACT_LABEL_CHARS`. Full is the default because it
    measured better and costs little: on BANKING77 at five corrections per intent the adapter alone scored 41.6 %
    with the list and 23.4 % without, and a batch's shared system turn (the list) is computed once per batch.
    An adapter is served with the prompt it was trained on (its stored recipe says which, resolved)."""
    lora_r: int = Field(default=8, ge=1)
    lora_alpha: int = Field(default=16, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    lora_target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"], min_length=1
    )

    learning_rate: float = Field(default=1e-3, gt=0)
    lr_scheduler: Literal["linear", "constant"] = "linear"
    """`linear`: warm up over `warmup_ratio` of the steps, then decay linearly to zero."""
    warmup_ratio: float = Field(default=0.0, ge=0.0, lt=1.0)
    weight_decay: float = Field(default=0.0, ge=0.0)
    max_grad_norm: float | None = Field(default=1.0, gt=0)
    """Clip the gradient norm to this; `null` turns clipping off."""
    num_epochs: int = Field(default=3, ge=1)
    micro_batch_size: int = Field(default=8, ge=1)
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    max_seq_len: int = Field(default=512, ge=8)
    """Tokens per example; longer prompts lose tokens from their left."""
    seed: int = 0
    min_examples: int = Field(default=8, ge=1)
    """Fewest training examples (after the held-out split) worth training an adapter on."""
    load_in_4bit: bool = False
    """QLoRA recipes (GPU trainers) only."""
    tagger: bool = True
    """Also train a span tagger (`runtime/tagger.py`) for an extraction module whose answers are spans of its
    inputs: the gate scores it beside the adapter (`tagger:NAME`). Its schedule comes from the data."""
    tagger_seconds: float = Field(default=300.0, gt=0)
    """The most a tagger's training may take; a run past it stops at the end of an epoch (the card says so)."""

    def to_axolotl(self, dataset_path: str, output_dir: str) -> dict[str, Any]:
        """The same recipe as an Axolotl config dict, reading a pre-tokenized JSONL dataset (`input_ids`,
        `attention_mask`, `labels` per line, as `learn.trainer_axolotl` writes it: the serving prompt, with the
        loss on the answer only)."""
        return {
            "base_model": HUB_IDS.get(self.base_model, self.base_model),
            "adapter": self.adapter,
            "load_in_4bit": self.load_in_4bit,
            "lora_r": self.lora_r,
            "lora_alpha": self.lora_alpha,
            "lora_dropout": self.lora_dropout,
            "lora_target_modules": list(self.lora_target_modules),
            "learning_rate": self.learning_rate,
            "lr_scheduler": self.lr_scheduler,
            "warmup_ratio": self.warmup_ratio,
            "weight_decay": self.weight_decay,
            "max_grad_norm": self.max_grad_norm,
            "num_epochs": self.num_epochs,
            "micro_batch_size": self.micro_batch_size,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            "sequence_len": self.max_seq_len,
            "seed": self.seed,
            "datasets": [{"path": dataset_path, "ds_type": "json"}],
            "output_dir": output_dir,
        }


def load_recipe(name_or_path: str | Path = DEFAULT_RECIPE) -> Recipe:
    """Load a recipe by name (`adapters/<name>.yaml`) or from a YAML file path.

    Raises `TrainingError` naming the file and every invalid key when the file is missing or invalid.
    """
    path = _recipe_path(name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in ADAPTERS_DIR.glob("*.yaml"))) or "none"
        raise TrainingError(f"recipe {str(name_or_path)!r} not found ({path}); built-in recipes: {known}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TrainingError(f"recipe {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TrainingError(f"recipe {path} must be a YAML mapping, got {type(data).__name__}")
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise TrainingError(f"recipe {path} is invalid: {problems}") from exc


def _recipe_path(name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, Path):
        return name_or_path
    if name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path or "\\" in name_or_path:
        return Path(name_or_path)
    return ADAPTERS_DIR / f"{name_or_path}.yaml"

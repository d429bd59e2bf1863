"""agentforge.learn: corrections → datasets → LoRA adapters → evaluation gate → promotion.

Importing this package does not import torch; `train_lora` imports it when it runs.
"""

from agentforge.learn.card import AdapterCard, adapter_name, read_card, write_card
from agentforge.learn.dataset import (
    AlpacaRecord,
    TrainItem,
    data_hash,
    dedupe_examples,
    export_alpaca,
    split_examples,
)
from agentforge.learn.gate import decide
from agentforge.learn.metrics import METRICS, Metric, exact_match, field_f1, mae, metric_for, text_similarity
from agentforge.learn.recipe import Recipe, load_recipe
from agentforge.learn.trainer import TrainResult, train_lora

__all__ = [
    "METRICS",
    "AdapterCard",
    "AlpacaRecord",
    "Metric",
    "Recipe",
    "TrainItem",
    "TrainResult",
    "adapter_name",
    "data_hash",
    "decide",
    "dedupe_examples",
    "exact_match",
    "export_alpaca",
    "field_f1",
    "load_recipe",
    "mae",
    "metric_for",
    "read_card",
    "split_examples",
    "text_similarity",
    "train_lora",
    "write_card",
]

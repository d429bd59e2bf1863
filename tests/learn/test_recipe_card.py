from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentforge.artifacts import AdapterVersion, EvalReport
from agentforge.errors import TrainingError
from agentforge.learn.card import (
    CARD_FILENAME,
    CARD_SCHEMA_PATH,
    AdapterCard,
    adapter_name,
    card_json_schema,
    read_card,
    write_card,
)
from agentforge.learn.recipe import ADAPTERS_DIR, Recipe, load_recipe


def test_default_recipe_loads_by_name_and_path() -> None:
    recipe = load_recipe("cpu-default")
    assert recipe.trainer == "peft" and recipe.adapter == "lora"
    assert recipe.lora_r == 8 and recipe.lora_alpha == 16 and recipe.lora_dropout == 0.05
    assert recipe.lora_target_modules == ["q_proj", "k_proj", "v_proj", "o_proj"]
    assert load_recipe(ADAPTERS_DIR / "cpu-default.yaml") == recipe
    assert load_recipe(str(ADAPTERS_DIR / "cpu-default.yaml")) == recipe
    assert load_recipe() == recipe


def test_every_builtin_recipe_is_valid() -> None:
    for path in ADAPTERS_DIR.glob("*.yaml"):
        load_recipe(path)


def test_unknown_recipe_names_the_known_ones() -> None:
    with pytest.raises(TrainingError, match=r"not found.*cpu-default"):
        load_recipe("no-such-recipe")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lora_r: 0\n", r"lora_r: Input should be greater than or equal to 1"),
        ("lora_rank: 8\n", r"lora_rank: Extra inputs are not permitted"),
        ("learning_rate: fast\n", r"learning_rate: Input should be a valid number"),
        ("- a list\n", r"must be a YAML mapping"),
        ("lora_r: [\n", r"not valid YAML"),
    ],
)
def test_invalid_recipe_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrainingError, match=message) as info:
        load_recipe(path)
    assert str(path) in str(info.value)


def test_axolotl_export_uses_axolotl_names() -> None:
    config = load_recipe("cpu-default").to_axolotl("data/train.jsonl", "out/adapter")
    assert config["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert config["sequence_len"] == 1024 and "max_seq_len" not in config
    assert config["datasets"] == [{"path": "data/train.jsonl", "ds_type": "json"}]  # pre-tokenized: no type


def test_committed_card_schema_matches_the_model() -> None:
    committed = json.loads(CARD_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == card_json_schema(), "regenerate with write_card_schema()"


def test_card_round_trip(tmp_path: Path) -> None:
    recipe = Recipe()
    name = adapter_name("app/tickets.py::classify_ticket", base_model=recipe.base_model, recipe=recipe, data_hash="d")
    assert name.startswith("app-tickets-py-classify-ticket@") and len(name.split("@")[1]) == 12
    assert name == adapter_name(
        "app/tickets.py::classify_ticket", base_model=recipe.base_model, recipe=recipe, data_hash="d"
    )
    assert name != adapter_name(
        "app/tickets.py::classify_ticket", base_model=recipe.base_model, recipe=recipe, data_hash="e"
    )
    report = EvalReport(
        module_id="m",
        metric="exact_match",
        n=3,
        champion="base",
        candidate=name,
        champion_score=0.3,
        candidate_score=0.9,
        champion_validity=1.0,
        candidate_validity=1.0,
        margin=0.6,
        promoted=True,
        reason="promoted",
    )
    card = AdapterCard(
        name=name,
        module_id="m",
        base_model=recipe.base_model,
        recipe=recipe,
        data_hash="d",
        train_examples=24,
        train_seconds=3.5,
        report=report,
        versions={"peft": "x"},
    )
    path = write_card(tmp_path, card)
    assert path == tmp_path / CARD_FILENAME
    assert read_card(tmp_path) == card
    assert sorted(p.name for p in tmp_path.iterdir()) == [CARD_FILENAME]


def test_card_from_an_adapter_version() -> None:
    recipe = load_recipe("cpu-default")
    adapter = AdapterVersion(
        name="m@0123456789ab",
        module_id="m",
        base_model=recipe.base_model,
        path="/x",
        recipe=recipe.model_dump(mode="json"),
        data_hash="d",
        train_examples=10,
        train_seconds=2.0,
    )
    card = AdapterCard.from_adapter(adapter, train_steps=4, final_loss=0.5)
    assert card.recipe == recipe and card.train_steps == 4 and card.created_at == adapter.created_at
    assert card.name == adapter.name and card.report is None


def test_importing_learn_does_not_import_torch() -> None:
    code = "import sys, agentforge.learn; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""The trainers a recipe can name: every shipped recipe loads; the GPU trainers say what they need on a machine
without it; Axolotl gets the serving prompt pre-tokenized and its adapter is published like the others."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
import yaml

from agentforge.errors import TrainingError
from agentforge.learn.dataset import TrainItem
from agentforge.learn.recipe import ADAPTERS_DIR, Recipe, load_recipe
from agentforge.learn.trainer import _encode
from agentforge.learn.trainer_axolotl import AXOLOTL_ENV, prepare_axolotl_run
from agentforge.learn.trainers import train_adapter
from agentforge.llm.base import Message

ITEMS = [
    TrainItem(
        messages=[Message(role="system", content="Label the colour."), Message(role="user", content=f"a {c} car")],
        target=label,
    )
    for c, label in [("red", "warm"), ("blue", "cold"), ("orange", "warm"), ("green", "cold")]
]


def fmt(messages: list[Message], target: str) -> tuple[str, str]:
    prompt = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
    return prompt, target + "<|im_end|>"


def test_every_shipped_recipe_loads() -> None:
    names = sorted(p.stem for p in ADAPTERS_DIR.glob("*.yaml"))
    assert {"cpu-default", "completion-style", "llama-3.1-8b-qlora", "llama-3.1-70b-qlora"} <= set(names)
    recipes = {name: load_recipe(name) for name in names}
    assert recipes["llama-3.1-8b-qlora"].trainer == "unsloth" and recipes["llama-3.1-8b-qlora"].load_in_4bit
    assert recipes["llama-3.1-70b-qlora"].trainer == "axolotl" and recipes["llama-3.1-70b-qlora"].adapter == "qlora"
    assert recipes["completion-style"].format == "completion"


def test_unsloth_says_it_needs_a_gpu(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(TrainingError, match="NVIDIA GPU only"):
        train_adapter(tmp_path, ITEMS, load_recipe("llama-3.1-8b-qlora"), tmp_path / "out", format_text=fmt)
    assert not (tmp_path / "out").exists()


def test_axolotl_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(AXOLOTL_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TrainingError, match=r"agentforge\[axolotl\]"):
        train_adapter(tmp_path, ITEMS, load_recipe("llama-3.1-70b-qlora"), tmp_path / "out", format_text=fmt)


def test_the_peft_trainer_refuses_quantized_recipes(tmp_path: Path) -> None:
    recipe = load_recipe("llama-3.1-70b-qlora").model_copy(update={"trainer": "peft"})
    with pytest.raises(TrainingError, match="trainer: peft, adapter: lora"):
        train_adapter(tmp_path, ITEMS, recipe, tmp_path / "out", format_text=fmt)


class _Tokenizer:
    """Characters as tokens: enough to check what is masked, not a model's vocabulary."""

    eos_token = "</s>"

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": [ord(c) for c in text]}


def test_completion_recipes_train_on_the_answer_alone() -> None:
    chat = _encode(_Tokenizer(), ITEMS[:1], fmt, 1024)
    raw = _encode(_Tokenizer(), ITEMS[:1], fmt, 1024, completion=True)
    assert chat[0].prompt_len == len(fmt(ITEMS[0].messages, "")[0])
    assert (raw[0].prompt_len, "".join(map(chr, raw[0].input_ids))) == (0, "warm</s>")


def test_axolotl_gets_the_serving_prompt_pre_tokenized(tmp_path: Path) -> None:
    recipe = load_recipe("llama-3.1-70b-qlora")
    config_path = prepare_axolotl_run(_Tokenizer(), ITEMS, recipe, tmp_path / "work", format_text=fmt)
    config = yaml.safe_load(config_path.read_text())
    assert config["adapter"] == "qlora" and config["load_in_4bit"] is True
    assert config["base_model"] == "meta-llama/Llama-3.1-70B-Instruct" and config["sequence_len"] == 2048
    rows = [json.loads(line) for line in Path(config["datasets"][0]["path"]).read_text().splitlines()]
    assert len(rows) == len(ITEMS)
    for row, item in zip(rows, ITEMS, strict=True):
        prompt, completion = fmt(item.messages, item.target)
        assert "".join(map(chr, row["input_ids"])) == prompt + completion
        trained = [t for t, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
        assert "".join(map(chr, trained)) == completion and row["labels"][: len(prompt)] == [-100] * len(prompt)


def _fake_axolotl(tmp_path: Path, body: str) -> str:
    """An executable standing in for Axolotl's CLI (`axolotl train CONFIG`), written in Python."""
    script = tmp_path / "axolotl"
    script.write_text(f"#!{sys.executable}\nimport json, pathlib, sys, yaml\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_an_axolotl_run_is_published_like_any_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smollm2_dir: Path
) -> None:
    body = (
        "config = yaml.safe_load(pathlib.Path(sys.argv[2]).read_text())\n"
        "out = pathlib.Path(config['output_dir']); out.mkdir(parents=True)\n"
        "(out / 'adapter_config.json').write_text(json.dumps({'r': config['lora_r']}))\n"
        "(out / 'trainer_state.json').write_text(json.dumps({'log_history': [{'loss': 2.0}, {'loss': 1.5}]}))"
    )
    monkeypatch.setenv(AXOLOTL_ENV, _fake_axolotl(tmp_path, body))
    recipe: Recipe = load_recipe("llama-3.1-70b-qlora")
    result = train_adapter(smollm2_dir, ITEMS, recipe, tmp_path / "adapters" / "a", format_text=fmt)
    assert json.loads((tmp_path / "adapters" / "a" / "adapter_config.json").read_text()) == {"r": 16}
    assert (result.losses, result.final_loss, result.examples) == ([2.0, 1.5], 1.5, 4)
    assert [p.name for p in (tmp_path / "adapters").iterdir()] == ["a"]  # its work folder is gone


def test_a_failed_axolotl_run_reports_its_log_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smollm2_dir: Path
) -> None:
    monkeypatch.setenv(AXOLOTL_ENV, _fake_axolotl(tmp_path, "print('CUDA out of memory'); sys.exit(3)"))
    out = tmp_path / "adapters" / "a"
    with pytest.raises(TrainingError, match=r"(?s)exited with 3.*CUDA out of memory"):
        train_adapter(smollm2_dir, ITEMS, load_recipe("llama-3.1-70b-qlora"), out, format_text=fmt)
    assert not (tmp_path / "adapters").exists() or list((tmp_path / "adapters").iterdir()) == []

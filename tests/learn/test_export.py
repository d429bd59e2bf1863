"""Adapter export: a real LoRA on the default model, exported as PEFT and merged; GGUF says what it lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentforge.artifacts import AdapterVersion
from agentforge.errors import ExportError
from agentforge.learn.card import read_card
from agentforge.learn.export import ExportFormat, export_adapter, find_converter


def _adapter(path: Path) -> AdapterVersion:
    return AdapterVersion(name="topic@0123456789ab", module_id="bot.py::topic", base_model="smollm2", path=str(path))


def test_gguf_without_the_converter_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLAMA_CPP_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_converter() is None
    with pytest.raises(ExportError, match=r"convert_hf_to_gguf\.py.*LLAMA_CPP_DIR"):
        export_adapter(_adapter(tmp_path), tmp_path / "out", ExportFormat.GGUF, model_dir=tmp_path)
    assert not (tmp_path / "out").exists()


def test_peft_export_of_a_folder_without_an_adapter_fails_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"adapter_config\.json missing"):
        export_adapter(_adapter(tmp_path / "none"), tmp_path / "out", ExportFormat.PEFT)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_merged_weights_answer_as_base_plus_adapter(smollm2_dir: Path, tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agentforge.learn.dataset import TrainItem
    from agentforge.learn.recipe import load_recipe
    from agentforge.learn.trainer import train_lora
    from agentforge.llm.base import Message

    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)

    def format_text(messages: list[Message], target: str) -> tuple[str, str]:
        turns = [{"role": m.role, "content": m.content} for m in messages]
        return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True), target

    items = [TrainItem(messages=[Message(role="user", content=f"Say a fruit #{i}")], target="banana") for i in range(4)]
    recipe = load_recipe("cpu-default").model_copy(update={"num_epochs": 2, "learning_rate": 5e-3})
    trained = tmp_path / "trained"
    train_lora(smollm2_dir, items, recipe, trained, format_text=format_text)
    adapter = _adapter(trained)

    peft_dir = export_adapter(adapter, tmp_path / "peft", ExportFormat.PEFT)
    assert {"adapter_config.json", "adapter_model.safetensors", "adapter_card.json"} <= {
        p.name for p in peft_dir.iterdir()
    }
    assert read_card(peft_dir).name == adapter.name
    merged_dir = export_adapter(adapter, tmp_path / "merged", ExportFormat.MERGED, model_dir=smollm2_dir)
    assert (merged_dir / "model.safetensors").is_file() and (merged_dir / "tokenizer.json").is_file()
    assert not (merged_dir / "adapter_config.json").exists()

    prompt, _ = format_text([Message(role="user", content="Say a fruit #9")], "")
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    base = AutoModelForCausalLM.from_pretrained(smollm2_dir, dtype=torch.float32)
    with torch.no_grad():
        base_logits = base(ids).logits
        with_adapter = PeftModel.from_pretrained(base, str(peft_dir)).eval()
        adapter_logits = with_adapter(ids).logits
        adapter_tokens = with_adapter.generate(ids, max_new_tokens=8, do_sample=False)
        merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()
        merged_logits = merged(ids).logits
        merged_tokens = merged.generate(ids, max_new_tokens=8, do_sample=False)
    assert (adapter_logits - base_logits).abs().max() > 1e-2  # the adapter changed the model
    assert torch.allclose(merged_logits, adapter_logits, atol=1e-3)
    assert merged_tokens.tolist() == adapter_tokens.tolist()

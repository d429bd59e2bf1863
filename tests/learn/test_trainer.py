"""Real LoRA training of the default model (SmolLM2-135M-Instruct) on CPU."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentforge.errors import TrainingError
from agentforge.learn.card import AdapterCard, adapter_name, read_card, write_card
from agentforge.learn.dataset import TrainItem, data_hash
from agentforge.learn.recipe import Recipe, load_recipe
from agentforge.learn.trainer import TrainResult, library_versions, train_lora
from agentforge.llm.base import Message

pytestmark = pytest.mark.slow

LABELS = {"red": "alpha", "green": "beta", "blue": "gamma"}
THINGS = ["car", "house", "shirt", "bike", "cup", "door", "lamp", "book"]
SYSTEM = "Classify the message. Answer with one label: alpha, beta or gamma."

FormatText = Callable[[list[Message], str], tuple[str, str]]


def make_items() -> list[TrainItem]:
    """24 tiny examples; the label is decided by the colour word."""
    return [
        TrainItem(
            messages=[
                Message(role="system", content=SYSTEM),
                Message(role="user", content=f"I have a {c} {t}."),
            ],
            target=label,
        )
        for c, label in LABELS.items()
        for t in THINGS
    ]


def recipe(**changes: Any) -> Recipe:
    """The shipped CPU default (3 epochs, micro-batch 8, lr 1e-3), with `changes`."""
    return Recipe.model_validate({**load_recipe("cpu-default").model_dump(), **changes})


@pytest.fixture(scope="module")
def tokenizer(smollm2_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_dir)


@pytest.fixture(scope="module")
def format_text(tokenizer: Any) -> FormatText:
    """The serving format: the chat template with the generation prompt, then target + end of turn."""

    def fmt(messages: list[Message], target: str) -> tuple[str, str]:
        prompt = tokenizer.apply_chat_template(
            [m.model_dump() for m in messages], tokenize=False, add_generation_prompt=True
        )
        return prompt, target + "<|im_end|>"

    return fmt


@dataclass
class Trained:
    result: TrainResult
    out_dir: Path
    seen: list[tuple[int, int, bool]]
    """(step, total, out_dir existed) at every progress call."""
    wall: float


@pytest.fixture(scope="module")
def trained(smollm2_dir: Path, format_text: FormatText, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    out_dir = tmp_path_factory.mktemp("adapters") / "classify@abc"
    seen: list[tuple[int, int, bool]] = []
    started = time.perf_counter()
    result = train_lora(
        smollm2_dir,
        make_items(),
        recipe(),
        out_dir,
        format_text=format_text,
        progress=lambda step, total: seen.append((step, total, out_dir.exists())),
    )
    wall = time.perf_counter() - started
    print(
        f"\ntrained {result.examples} examples x {result.epochs} epochs, micro-batch 8: "
        f"{result.seconds_per_example:.3f} s/example (loop {result.loop_seconds:.1f} s, total {wall:.1f} s); "
        f"epoch losses {[round(x, 3) for x in result.epoch_losses]}"
    )
    return Trained(result, out_dir, seen, wall)


def test_loss_decreases(trained: Trained) -> None:
    r = trained.result
    assert r.steps == 9 and r.epochs == 3 and r.examples == 24  # 24 examples / micro-batch 8 x 3 epochs
    assert len(r.losses) == 9 and len(r.epoch_losses) == 3
    assert r.epoch_losses[-1] < 0.5 * r.epoch_losses[0]
    assert r.final_loss == r.epoch_losses[-1]
    assert r.completion_tokens == 48  # one label token + <|im_end|> per example


def test_adapter_appears_only_when_complete(trained: Trained) -> None:
    assert [(s, t) for s, t, _ in trained.seen] == [(i, 9) for i in range(1, 10)]
    assert not any(existed for _, _, existed in trained.seen), "out_dir existed before training finished"
    assert (trained.out_dir / "adapter_config.json").is_file()
    assert (trained.out_dir / "adapter_model.safetensors").is_file()
    assert [p.name for p in trained.out_dir.parent.iterdir()] == [trained.out_dir.name]  # no temp dir left


def test_existing_out_dir_is_refused(smollm2_dir: Path, format_text: FormatText, trained: Trained) -> None:
    before = sorted(p.name for p in trained.out_dir.iterdir())
    with pytest.raises(TrainingError, match="already exists"):
        train_lora(smollm2_dir, make_items(), recipe(), trained.out_dir, format_text=format_text)
    assert sorted(p.name for p in trained.out_dir.iterdir()) == before


def test_bad_inputs_are_refused_before_training(smollm2_dir: Path, format_text: FormatText, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="no training items"):
        train_lora(smollm2_dir, [], recipe(), tmp_path / "a", format_text=format_text)
    with pytest.raises(TrainingError, match="trainer: peft"):
        train_lora(smollm2_dir, make_items(), recipe(trainer="unsloth"), tmp_path / "a", format_text=format_text)
    with pytest.raises(TrainingError, match="not a model directory"):
        train_lora(tmp_path / "missing", make_items(), recipe(), tmp_path / "a", format_text=format_text)
    with pytest.raises(TrainingError, match="completion alone"):
        train_lora(
            smollm2_dir,
            make_items(),
            recipe(max_seq_len=8),
            tmp_path / "a",
            format_text=lambda m, t: ("", "x " * 20),
        )
    assert not (tmp_path / "a").exists()
    assert list(tmp_path.iterdir()) == []


def gold_log_likelihoods(model: Any, tokenizer: Any, format_text: FormatText, items: list[TrainItem]) -> list[float]:
    """Summed log-probability of each item's `target + <|im_end|>` after its prompt, in one batch."""
    import torch

    rows = []
    for item in items:
        prompt, completion = format_text(item.messages, item.target)
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        c = tokenizer(completion, add_special_tokens=False)["input_ids"]
        rows.append((p + c, len(p)))
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, (ids, _) in enumerate(rows):
        input_ids[r, : len(ids)] = torch.tensor(ids)
        mask[r, : len(ids)] = 1
    with torch.no_grad():
        logprobs = model(input_ids=input_ids, attention_mask=mask).logits.log_softmax(-1)
    return [
        float(sum(logprobs[r, t - 1, ids[t]] for t in range(start, len(ids)))) for r, (ids, start) in enumerate(rows)
    ]


def test_adapter_raises_the_right_labels_likelihood(
    smollm2_dir: Path, tokenizer: Any, format_text: FormatText, trained: Trained
) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(smollm2_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(trained.out_dir))
    model.eval()
    items = make_items()
    tuned = gold_log_likelihoods(model, tokenizer, format_text, items)
    with model.disable_adapter():
        untuned = gold_log_likelihoods(model, tokenizer, format_text, items)
    improved = sum(t > u for t, u in zip(tuned, untuned, strict=True))
    assert improved == len(items), f"only {improved}/{len(items)} prompts improved"
    assert sum(tuned) / len(tuned) > sum(untuned) / len(untuned) + 2.0


def test_same_seed_same_run(smollm2_dir: Path, format_text: FormatText, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    items = make_items()[::3]  # 8 items, 2 steps: cheap
    small = recipe(num_epochs=1, micro_batch_size=4)
    first = train_lora(smollm2_dir, items, small, tmp_path / "a", format_text=format_text)
    second = train_lora(smollm2_dir, items, small, tmp_path / "b", format_text=format_text)
    assert first.steps == second.steps == 2
    assert first.final_loss == second.final_loss
    assert first.losses == second.losses
    wa = load_file(str(tmp_path / "a" / "adapter_model.safetensors"))
    wb = load_file(str(tmp_path / "b" / "adapter_model.safetensors"))
    assert wa.keys() == wb.keys() and all(bool((wa[k] == wb[k]).all()) for k in wa)
    assert any("lora_A" in k for k in wa) and any("q_proj" in k for k in wa)


def test_card_beside_the_weights(trained: Trained) -> None:
    items, r = make_items(), recipe()
    card = AdapterCard(
        name=adapter_name("app.py::classify", base_model=r.base_model, recipe=r, data_hash=data_hash(items)),
        module_id="app.py::classify",
        base_model=r.base_model,
        recipe=r,
        data_hash=data_hash(items),
        train_examples=trained.result.examples,
        train_seconds=trained.result.seconds,
        train_steps=trained.result.steps,
        final_loss=trained.result.final_loss,
        metrics={"seconds_per_example": trained.result.seconds_per_example},
        versions=library_versions(),
    )
    write_card(trained.out_dir, card)
    assert read_card(trained.out_dir) == card
    assert {"torch", "transformers", "peft"} <= set(card.versions)


def test_a_shared_prompt_prefix_runs_once_with_the_same_loss_and_gradient(
    smollm2_dir: Path, tokenizer: Any, format_text: FormatText, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from agentforge.learn import trainer

    base = AutoModelForCausalLM.from_pretrained(smollm2_dir, dtype=torch.float32)
    torch.manual_seed(0)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], lora_dropout=0.0))
    for name, param in model.named_parameters():  # LoRA's B starts at zero; make the adapter do something
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.02)
    batch = trainer._encode(tokenizer, make_items()[::5], format_text, 512)
    shared = trainer._shared_prefix(batch)
    assert shared >= trainer.SHARED_PREFIX_MIN_TOKENS
    assert shared < min(e.prompt_len for e in batch)

    calls: list[int] = []
    model.register_forward_hook(
        lambda _m, args, kwargs, _out: calls.append(kwargs["input_ids"].shape[1]), with_kwargs=True
    )

    def loss_and_grads() -> tuple[float, int, list[torch.Tensor]]:
        model.zero_grad(set_to_none=True)
        loss, tokens = trainer._batch_loss(model, batch, tokenizer.pad_token_id, trainer.cache_kwarg(model))
        loss.backward()
        return float(loss.detach()), tokens, [p.grad.clone() for p in model.parameters() if p.requires_grad]

    prefixed = loss_and_grads()
    assert calls[0] == shared and len(calls) == 2  # the prefix once, then every row's own tokens
    monkeypatch.setattr(trainer, "SHARED_PREFIX_MIN_TOKENS", 10_000)
    calls.clear()
    plain = loss_and_grads()
    assert len(calls) == 1 and calls[0] == max(len(e.input_ids) for e in batch)
    assert prefixed[1] == plain[1]
    assert abs(prefixed[0] - plain[0]) < 1e-4
    for a, b in zip(prefixed[2], plain[2], strict=True):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-6)

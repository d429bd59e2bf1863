"""The default local model, for real (slow: loads SmolLM2-135M on CPU once per session)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agentforge.errors import ModelError
from agentforge.llm import DEFAULT_MODEL, Message, Model, ModelRequest, resolve_model_dir, run_sync, weights
from agentforge.llm.local import LocalModel

from .conftest import LoadedModel

pytestmark = pytest.mark.slow


def _msgs(system: str, user: str) -> list[Message]:
    return [Message(role="system", content=system), Message(role="user", content=user)]


def test_safetensors_copy_written_then_reused(loaded_model: LoadedModel, monkeypatch: pytest.MonkeyPatch) -> None:
    target = loaded_model.paths.models / DEFAULT_MODEL
    assert loaded_model.model.model_dir == target
    assert weights.has_safetensors_copy(target)
    assert "quantization_config" not in json.loads((target / "config.json").read_text())
    assert [p.name for p in loaded_model.paths.models.iterdir()] == [DEFAULT_MODEL]  # no temp dirs left

    def no_gguf() -> Path:
        raise AssertionError("a cached copy must not touch the GGUF")

    monkeypatch.setattr(weights, "default_gguf_path", no_gguf)
    start = time.perf_counter()
    assert resolve_model_dir(DEFAULT_MODEL, loaded_model.paths) == target
    assert time.perf_counter() - start < min(0.5, loaded_model.first_load_s / 10)


def test_is_a_model_and_renders_the_training_format(local_model: LocalModel) -> None:
    assert isinstance(local_model, Model)
    assert local_model.name == DEFAULT_MODEL
    msgs = _msgs("Be brief.", "Hi")
    prompt = local_model.render_prompt(msgs)
    assert prompt.endswith("<|im_start|>assistant\n")
    assert "<|im_start|>system\nBe brief.<|im_end|>" in prompt
    assert local_model.format_training_text(msgs, '{"a": 1}') == (prompt, '{"a": 1}<|im_end|>')


def test_generation(local_model: LocalModel) -> None:
    req = ModelRequest(messages=[Message(role="user", content="What is the capital of France?")], max_new_tokens=12)
    resp = run_sync(local_model.request(req))
    assert resp.text.strip()
    assert "<|im_end|>" not in resp.text
    assert 0 < resp.completion_tokens <= 12
    assert resp.prompt_tokens > 10 and resp.latency_ms > 0 and resp.model == DEFAULT_MODEL
    again = run_sync(local_model.request(req))
    assert again.text == resp.text  # greedy is deterministic
    sampled = run_sync(local_model.request(req.model_copy(update={"temperature": 0.8, "max_new_tokens": 4})))
    assert sampled.completion_tokens <= 4


CHOICE_CASES: list[tuple[str, list[str]]] = [
    ("I love this phone, it is great!", ["positive", "negative"]),
    ("The package arrived broken and late.", ["positive", "negative"]),
    ("It was fine, nothing special.", ["positive", "negative", "neutral"]),
    ("The team won the cup in overtime.", ["sports", "politics", "technology", "cooking"]),
    ("Stir the sauce and add salt.", ["sports", "politics", "technology", "cooking"]),
    ("The app crashes when I press save.", ["bug", "bug report", "feature request", "question"]),
    ("Can you add a dark mode?", ["bug", "bug report", "feature request", "question"]),
    ("How do I reset my password?", ["billing_question", "account_access", "other"]),
    ("I was charged twice.", ["billing_question", "account_access", "other"]),
    ("Database down, customers cannot pay!", ["low", "medium", "high", "urgent"]),
    ("Typo on the about page.", ["low", "medium", "high", "urgent"]),
    ("Is 7 a prime number?", ["yes", "no"]),
    ("Is the sky green?", ["yes", "no"]),
    ("Bonjour, comment ça va ?", ["English", "French", "German", "Spanish"]),
    ("Translate: dog", ["chien", "chat", "cheval"]),
    ("Pick a colour for a banana.", ["yellow", "blue", "purple", "Yellow"]),
    ("Which is larger?", ["1", "10", "100", "1000"]),
    ("Rate the urgency.", ["only one"]),
    ("Describe the weather.", ["sunny ☀", "rainy 🌧", "snowy ❄"]),
    ("Choose.", ["a", "a", "b"]),
]


def test_choices_always_return_a_label(local_model: LocalModel) -> None:
    for text, labels in CHOICE_CASES:
        system = f"Classify the message. Answer with exactly one of: {', '.join(labels)}."
        resp = run_sync(local_model.request(ModelRequest(messages=_msgs(system, text), choices=labels)))
        assert resp.text in labels
        scores = resp.choice_scores
        assert scores is not None
        assert resp.text in scores and set(scores) <= set(labels)
        assert resp.text == max(scores, key=scores.__getitem__)  # the answer is the best-scored label
        assert all(score < 0 for score in scores.values())


BANKING_LABELS = [
    "card_arrival", "card_linking", "card_not_working", "card_payment_fee_charged", "card_swallowed",
    "cash_withdrawal_charge", "change_pin", "exchange_rate", "lost_or_stolen_card", "pin_blocked",
    "top_up_failed", "transfer_not_received_by_recipient",
]  # fmt: skip


def test_best_first_label_scores_equal_teacher_forced_sums(local_model: LocalModel) -> None:
    """The tree-masked search against a plain forward of prompt + label, label by label: the same answer, the
    same sums for the labels it finished, and every label it left out below the answer."""
    import torch

    system = f"Classify the banking query. Answer with exactly one of: {', '.join(BANKING_LABELS)}."
    for query in ["My card still hasn't arrived after two weeks.", "I forgot my PIN and now it is blocked."]:
        messages = _msgs(system, query)
        resp = run_sync(local_model.request(ModelRequest(messages=messages, choices=BANKING_LABELS)))
        prompt = local_model._encode(local_model.render_prompt(messages))
        expected = {}
        for label in BANKING_LABELS:
            tail = local_model._encode(label + local_model._end_text)
            logits, _ = local_model._forward(torch.tensor([prompt + tail]), None, last_only=False)
            logprobs = torch.log_softmax(logits[0].float(), dim=-1)
            expected[label] = sum(float(logprobs[len(prompt) - 1 + k, t]) for k, t in enumerate(tail))
        scores = resp.choice_scores
        assert scores is not None
        assert resp.text == max(expected, key=expected.__getitem__)
        assert scores == pytest.approx({label: expected[label] for label in scores}, abs=1e-3)
        assert all(expected[label] < scores[resp.text] for label in set(BANKING_LABELS) - set(scores))


def test_choice_rule_on_easy_cases(local_model: LocalModel) -> None:
    system = "Classify the sentiment of the review. Answer with exactly one of: positive, negative."
    cases = {
        "I absolutely loved it, best purchase ever!": "positive",
        "Worst hotel I have ever stayed in.": "negative",
    }
    for review, expected in cases.items():
        req = ModelRequest(messages=_msgs(system, review), choices=["positive", "negative"])
        assert run_sync(local_model.request(req)).text == expected


TICKET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "category": {"enum": ["bug", "billing", "feature", "other"]},
        "urgent": {"type": "boolean"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "summary": {"type": "string", "maxLength": 40},
        "customer": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]},
    },
    "required": ["category", "urgent", "priority", "confidence", "summary", "customer"],
    "additionalProperties": False,
}

TICKETS = [
    "The app crashes every time I upload a photo. - Anna",
    "I was billed twice this month, please refund me.",
    "Could you add an export to CSV button?",
    "Hello, just saying thanks for the great service!",
    "URGENT: checkout page returns error 500 for all users.",
    "My invoice shows the wrong VAT number. Regards, Bob Smith",
    "Please support dark mode on Android.",
    "Login fails with 'invalid token' since the last update.",
]


def test_json_schema_output_always_validates(local_model: LocalModel) -> None:
    system = (
        "Read the support ticket and answer in JSON with keys category (bug, billing, feature, other), "
        "urgent (true/false), priority (1-5), confidence (0-1), summary, customer (name or null)."
    )
    for ticket in TICKETS:
        resp = run_sync(local_model.request(ModelRequest(messages=_msgs(system, ticket), json_schema=TICKET_SCHEMA)))
        value = json.loads(resp.text)
        jsonschema.validate(value, TICKET_SCHEMA)
        assert list(value) == list(TICKET_SCHEMA["properties"])  # schema order
        assert resp.text == json.dumps(value, ensure_ascii=False)  # the training-target layout

    nested = {
        "type": "object",
        "properties": {"who": {"type": "object", "properties": {"age": {"type": "integer"}}}},
    }
    top_enum = {"enum": ["red", "green", "blue"]}
    for schema in (nested, top_enum):
        resp = run_sync(
            local_model.request(ModelRequest(messages=_msgs("Answer in JSON.", "Alice is 30."), json_schema=schema))
        )
        jsonschema.validate(json.loads(resp.text), schema)

    lists = [
        {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9}, "maxItems": 4},
        {
            "type": "object",
            "properties": {"fruits": {"type": "array", "items": {"enum": ["apple", "pear", "plum"]}, "minItems": 2}},
        },
    ]
    for schema in lists:
        resp = run_sync(
            local_model.request(ModelRequest(messages=_msgs("Answer in JSON.", "List two fruits."), json_schema=schema))
        )
        value = json.loads(resp.text)
        jsonschema.validate(value, schema)
        assert resp.text == json.dumps(value, ensure_ascii=False)
        if schema is lists[0]:
            assert all(item.strip() for item in value)  # string items are never empty

    free = {"type": "array", "prefixItems": [{"type": "string"}]}  # not guided: plain generation
    resp = run_sync(
        local_model.request(
            ModelRequest(messages=_msgs("Answer in JSON.", "List two fruits."), json_schema=free, max_new_tokens=16)
        )
    )
    assert resp.text.strip()


def _random_lora(model_dir: Path, out: Path) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(base, config)
    peft_model.save_pretrained(str(out))
    del peft_model, base
    return out


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_adapters(local_model: LocalModel, tmp_path: Path) -> None:
    labels = ["positive", "negative", "neutral"]
    req = ModelRequest(messages=_msgs("Classify the sentiment.", "It was okay I guess."), choices=labels)
    before = run_sync(local_model.request(req))

    path = _random_lora(local_model.model_dir, tmp_path / "lora")
    assert not local_model.has_adapter("a@1")
    local_model.load_adapter("a@1", path)
    local_model.load_adapter("a@1", tmp_path / "does-not-matter")  # a loaded name is a no-op
    assert local_model.has_adapter("a@1")
    assert local_model.adapters == {"a@1": path}

    adapted = run_sync(local_model.request(req.model_copy(update={"adapter": "a@1"})))
    base = run_sync(local_model.request(req))
    assert adapted.adapter == "a@1" and base.adapter is None
    assert adapted.choice_scores != base.choice_scores
    assert base.choice_scores == pytest.approx(before.choice_scores)  # the base is untouched

    # requests from many threads at once see their own adapter
    async def both() -> list[Any]:
        reqs = [req.model_copy(update={"adapter": a}) for a in ("a@1", None, "a@1", None)]
        return await asyncio.gather(*(local_model.request(r) for r in reqs))

    for i, resp in enumerate(run_sync(both())):
        expected = adapted if i % 2 == 0 else base
        assert resp.choice_scores == pytest.approx(expected.choice_scores)

    # generation and guided JSON run through the adapter too
    gen = ModelRequest(messages=_msgs("Be brief.", "Say hi."), max_new_tokens=4, adapter="a@1")
    assert run_sync(local_model.request(gen)).adapter == "a@1"
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}}}
    guided = run_sync(local_model.request(gen.model_copy(update={"json_schema": schema})))
    jsonschema.validate(json.loads(guided.text), schema)

    with pytest.raises(ModelError, match="not loaded"):
        run_sync(local_model.request(req.model_copy(update={"adapter": "nope@1"})))
    with pytest.raises(ModelError, match="no PEFT adapter"):
        local_model.load_adapter("b@1", tmp_path / "missing")


def test_a_shared_system_turn_is_prefilled_once(local_model: LocalModel, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second call reuses the first's KV cache for the system turn and answers exactly as a cold call."""
    system = f"Classify the banking query. Answer with exactly one of: {', '.join(BANKING_LABELS)}."
    labels = BANKING_LABELS
    first = ModelRequest(messages=_msgs(system, "My card still hasn't arrived."), choices=labels)
    second = ModelRequest(messages=_msgs(system, "I forgot my PIN and it is blocked now."), choices=labels)
    fed: list[int] = []
    real = local_model._forward

    def counting(ids: Any, cache: Any, *, last_only: bool) -> Any:
        fed.append(int(ids.shape[1]))
        return real(ids, cache, last_only=last_only)

    monkeypatch.setattr(local_model, "_forward", counting)
    run_sync(local_model.request(first))
    fed.clear()
    warm = run_sync(local_model.request(second))
    prompt_tokens = warm.prompt_tokens
    assert fed and fed[0] < prompt_tokens // 2  # only the tail after the shared system turn went in
    local_model._prefixes.clear()
    cold = run_sync(local_model.request(second))
    assert warm.text == cold.text
    assert warm.choice_scores == pytest.approx(cold.choice_scores, abs=1e-3)

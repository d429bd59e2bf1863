"""Back ends for the shared module suite: the library's fake, the local model, and vLLM's CPU build serving
the same weights, spoken to both as vLLM and as a hosted OpenAI-style API would be. The adapter is trained
here, for real, so both real back ends answer with the same LoRA."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentforge.catalog import load_catalog
from agentforge.config import Paths
from agentforge.llm import FunctionModel, Model, ModelRequest, minimal_instance
from agentforge.llm.vllm_launch import MAX_LORA_RANK, vllm_python, vllm_server
from agentforge.runtime.prompts import render_messages
from tests.runtime.conftest import INTENTS, make_manifest

if TYPE_CHECKING:
    from agentforge.llm.local import LocalModel

REPO = Path(__file__).resolve().parents[2]
ADAPTER_LABEL = "refund_request"
"""What the test adapter learns to answer, whatever the message: its answers differ visibly from the base's."""

SUBJECTS = ["my card", "a payment", "the transfer", "my account", "an ATM", "the app", "a refund", "my PIN"]
PROBLEMS = ["is missing", "was declined", "looks wrong", "is blocked", "failed twice", "never arrived"]
TAILS = ["", " please help", " since Monday", " what do I do?", " and I am worried", " again"]


def messages(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(PROBLEMS)}{rng.choice(TAILS)}" for _ in range(n)]


@dataclass(frozen=True)
class TrainedAdapter:
    name: str
    path: Path


@pytest.fixture(scope="session")
def suite_local_model(agentforge_home: Path) -> LocalModel:
    from agentforge.llm.local import LocalModel

    return LocalModel.load(paths=Paths(home=agentforge_home), threads=1)


@pytest.fixture(scope="session")
def trained_adapter(suite_local_model: LocalModel, tmp_path_factory: pytest.TempPathFactory) -> TrainedAdapter:
    from agentforge.learn.dataset import TrainItem
    from agentforge.learn.recipe import load_recipe
    from agentforge.learn.trainer import train_lora

    catalog = load_catalog()
    manifest = make_manifest()
    spec, plan = manifest.specs[0], manifest.plan.modules[0]
    kind, role = catalog.kind(plan.kind), catalog.role(plan.agent_role)
    items = [
        TrainItem(messages=render_messages(kind, role, spec, {"message": text}), target=ADAPTER_LABEL)
        for text in messages(24, seed=7)
    ]
    recipe = load_recipe().model_copy(update={"num_epochs": 4})
    assert recipe.lora_r <= MAX_LORA_RANK
    out = tmp_path_factory.mktemp("adapters") / "classify-v1"
    train_lora(suite_local_model.model_dir, items, recipe, out, format_text=suite_local_model.format_training_text)
    return TrainedAdapter(name=f"{spec.id}@test-v1", path=out)


def _fake() -> Model:
    """Label: the adapter's label on the adapter, a spread of labels on the base; JSON: a minimal instance."""

    def answer(req: ModelRequest) -> str:
        if req.choices is not None:
            text = req.messages[-1].content
            return ADAPTER_LABEL if req.adapter else req.choices[sum(map(ord, text)) % len(req.choices)]
        if req.json_schema is not None:
            import json

            return json.dumps(minimal_instance(req.json_schema))
        return f"answered by {req.adapter or 'base'}"

    return FunctionModel(answer, name="fake")


@pytest.fixture(scope="session")
def vllm_url(suite_local_model: LocalModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    python = vllm_python(REPO)
    if not python.is_file():
        message = f"vLLM's virtualenv is missing ({python}); run scripts/setup_vllm.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    with vllm_server(suite_local_model.model_dir, suite_local_model.name, log, python=python) as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("fake"),
        pytest.param("local", marks=pytest.mark.slow),
        pytest.param("vllm", marks=[pytest.mark.slow, pytest.mark.vllm]),
        pytest.param("openai-api", marks=[pytest.mark.slow, pytest.mark.vllm]),
    ]
)
def backend(request: pytest.FixtureRequest) -> Model:
    if request.param == "fake":
        return _fake()
    local: LocalModel = request.getfixturevalue("suite_local_model")
    if request.param == "local":
        return local
    from agentforge.llm.openai_compat import OpenAICompatModel

    url: str = request.getfixturevalue("vllm_url")
    # "openai-api": the same server spoken to as a hosted OpenAI-style API (response_format, no adapters)
    return OpenAICompatModel(url, local.name, flavor="vllm" if request.param == "vllm" else "openai")


__all__ = ["ADAPTER_LABEL", "INTENTS", "TrainedAdapter", "messages"]

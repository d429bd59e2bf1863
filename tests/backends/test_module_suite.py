"""One module suite, every back end: the library's fake, the local model, and vLLM (CPU build) over HTTP.

Each test drives real `Engine` calls (prompt → model → validation → retries → fallback → trace) against a
hand-made three-module app (`tests/runtime/conftest.py`): a label module, an extraction module, a writer.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import jsonschema
import pytest

from agentforge.artifacts import Rung
from agentforge.llm import Model
from agentforge.runtime import Engine
from agentforge.store import Store
from tests.runtime.conftest import make_manifest

from .conftest import ADAPTER_LABEL, INTENTS, TrainedAdapter, messages

CLASSIFY, EXTRACT, DRAFT = (spec.id for spec in make_manifest().specs)


@pytest.fixture
def engine(backend: Model, tmp_path: Path) -> Engine:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.save_manifest(make_manifest())
    return Engine(store, backend)


async def _invoke_all(engine: Engine, module: str, texts: list[str], *, wave: int = 8, **kwargs: str) -> list[object]:
    """Concurrent calls in waves, so a server back end sees concurrency (small waves: the CPU is shared)."""
    outputs: list[object] = []
    for start in range(0, len(texts), wave):
        wave_texts = texts[start : start + wave]
        traces = await asyncio.gather(*(engine.invoke(module, {"message": t}, **kwargs) for t in wave_texts))
        outputs += [trace.output for trace in traces]
    return outputs


def test_200_random_label_calls_always_return_a_valid_label(engine: Engine) -> None:
    outputs = asyncio.run(_invoke_all(engine, CLASSIFY, messages(200, seed=1)))
    assert len(outputs) == 200
    assert set(outputs) <= set(INTENTS), set(outputs) - set(INTENTS)


def test_extraction_validates_or_is_the_flagged_fallback(engine: Engine) -> None:
    schema = make_manifest().specs[1].output_schema
    texts = [f"I was charged {n} EUR twice at the {shop}" for n, shop in ((12, "bakery"), (40, "gym"), (7, "cafe"))]

    async def run() -> None:
        for text in texts:
            trace = await engine.invoke(EXTRACT, {"message": text})
            if trace.fallback_used:
                assert trace.route.rung is Rung.STATIC and trace.error
            else:
                jsonschema.validate(trace.output, schema)
            assert engine.get_trace(trace.id).output == trace.output

    asyncio.run(run())


def test_writer_returns_text_and_counts_tokens(engine: Engine) -> None:
    trace = asyncio.run(engine.invoke(DRAFT, {"message": "My card was declined at the shop"}))
    assert isinstance(trace.output, str) and trace.output.strip()
    assert not trace.fallback_used
    assert trace.route.model == engine.model.name


def test_a_request_for_an_adapter_that_is_not_loaded_is_refused(engine: Engine) -> None:
    from agentforge.errors import ModelError
    from agentforge.llm import Message, ModelRequest

    request = ModelRequest(messages=[Message(role="user", content="hi")], adapter="nope@v1")
    with pytest.raises(ModelError, match="not loaded"):
        asyncio.run(engine.model.request(request))


def test_an_adapter_loaded_at_run_time_under_a_new_versioned_name_changes_the_answers(
    engine: Engine, backend: Model, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if request.node.callspec.params["backend"] == "openai-api":
        pytest.skip("a hosted OpenAI-style API serves fine-tuned model ids, not adapters loaded at run time")
    if request.node.callspec.params["backend"] == "fake":  # the fake needs no weights, only a folder
        (tmp_path / "fake-adapter").mkdir()
        adapter = TrainedAdapter(name=f"{CLASSIFY}@test-v1", path=tmp_path / "fake-adapter")
    else:
        adapter = request.getfixturevalue("trained_adapter")
    texts = messages(12, seed=3)
    base = asyncio.run(_invoke_all(engine, CLASSIFY, texts, target="base"))
    backend.load_adapter(adapter.name, adapter.path)
    backend.load_adapter(adapter.name, adapter.path)  # loading a name twice is a no-op
    assert backend.has_adapter(adapter.name)
    tuned = asyncio.run(_invoke_all(engine, CLASSIFY, texts, target=adapter.name))
    assert sum(label == ADAPTER_LABEL for label in tuned) >= 10, tuned
    assert sum(b != t for b, t in zip(base, tuned, strict=True)) >= 3, (base, tuned)
    # the next version is a new name next to the old one, never a reload in place
    v2 = tmp_path / "classify-v2"
    shutil.copytree(adapter.path, v2)
    name_v2 = adapter.name.replace("@test-v1", "@test-v2")
    backend.load_adapter(name_v2, v2)
    assert backend.has_adapter(adapter.name) and backend.has_adapter(name_v2)
    again = asyncio.run(_invoke_all(engine, CLASSIFY, texts[:4], target=name_v2))
    assert again == tuned[:4]

"""One module contract run through one agent framework: `python tests/runtime/framework_check.py FRAMEWORK
[--real]`, from the repository root (CrewAI's runs in .venv-crewai, where CrewAI lives). Every module of the
three-module test app (a label, an extraction, a writer) is planned on FRAMEWORK and invoked through the engine,
on the library's fake model (answers that fit whatever the request asks for, with an invalid first answer to
show the retry path) or, with `--real`, the default model. Prints one JSON line: each module's output, whether
its trace was a fallback, and what the model was asked (so a test can see which framework spoke to it)."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from typing import Any

from agentforge.artifacts import Manifest, Policy
from agentforge.llm import FunctionModel, Model, ModelRequest, minimal_instance
from agentforge.runtime import Engine
from agentforge.store import Store
from tests.runtime.conftest import make_manifest  # run with the repository root on PYTHONPATH

MESSAGE = "I was charged 12 EUR twice for the same coffee, please refund me"


def fake_model() -> tuple[Model, list[dict[str, Any]]]:
    """A fake that answers each request in the shape it asks for; its very first answer is invalid."""
    asked: list[dict[str, Any]] = []

    def respond(req: ModelRequest) -> str:
        asked.append(
            {
                "system": req.messages[0].content if req.messages[0].role == "system" else "",
                "user": req.messages[-1].content,
                "schema": req.json_schema,
                "choices": req.choices,
            }
        )
        if len(asked) == 1:
            return "not an answer"
        if req.json_schema is not None:
            value = minimal_instance(req.json_schema)
            return json.dumps(value)
        if req.choices:
            return req.choices[-1]
        return "We are sorry about the double charge; the refund is on its way."

    return FunctionModel(respond, name="fake"), asked


def planned_on(framework: str) -> Manifest:
    manifest = make_manifest()
    for module in manifest.plan.modules:
        module.framework = framework  # type: ignore[assignment]
        module.policy = Policy(max_retries=2, timeout_s=600)
    return manifest


async def run(framework: str, model: Model) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/store.db")
        manifest = planned_on(framework)
        store.save_manifest(manifest)
        engine = Engine(store, model)
        outputs: dict[str, Any] = {}
        for spec in manifest.specs:
            trace = await engine.invoke(spec.id, {"message": MESSAGE})
            outputs[spec.id] = {"output": trace.output, "fallback": trace.fallback_used, "error": trace.error}
        engine.close()
        store.close()
    return outputs


def main(framework: str, real: bool) -> None:
    asked: list[dict[str, Any]] = []
    if real:
        from agentforge.llm.local import LocalModel

        model: Model = LocalModel.load()
    else:
        model, asked = fake_model()
    outputs = asyncio.run(run(framework, model))
    print(json.dumps({"framework": framework, "outputs": outputs, "asked": asked}))


if __name__ == "__main__":
    main(sys.argv[1], "--real" in sys.argv[2:])

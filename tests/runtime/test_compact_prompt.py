"""The compact label prompt (`Recipe.prompt`): a long label list is left out of an adapter's prompt, in training
and serving alike, while the base model and adapters trained on the full prompt keep the list."""

from __future__ import annotations

from pathlib import Path

from agentforge.artifacts import AdapterVersion, ModuleSpec
from agentforge.catalog.loader import load_catalog
from agentforge.learn.recipe import Recipe
from agentforge.llm.base import run_sync
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.prompts import COMPACT_LABEL_CHARS, compact_labels, render_messages
from agentforge.store import Store

MODULE = "app/ai.py::classify"


def _spec(labels: list[str]) -> ModuleSpec:
    from tests.runtime.conftest import make_manifest

    spec = make_manifest().specs[0]
    return spec.model_copy(update={"output_schema": {"type": "string", "enum": labels}})


def test_auto_leaves_out_only_a_long_label_list() -> None:
    few = _spec(["lost_card", "card_declined", "refund_request"])
    many = _spec([f"intent_number_{i}" for i in range(40)])
    assert len(", ".join(many.output_schema["enum"])) > COMPACT_LABEL_CHARS
    assert not compact_labels("auto", few) and compact_labels("auto", many)
    assert compact_labels("compact", few) and not compact_labels("full", many)
    assert Recipe().prompt == "full"  # the list helps an adapter learn from few corrections
    text = _spec(["x"]).model_copy(update={"output_schema": {"type": "string"}})
    assert not compact_labels("compact", text)  # not a label module: nothing to leave out

    catalog = load_catalog()
    kind, role = catalog.kind("classify"), catalog.role("classifier")
    full = render_messages(kind, role, many, {"message": "hi"})[0].content
    short = render_messages(kind, role, many, {"message": "hi"}, compact=True)[0].content
    assert "intent_number_39" in full and "intent_number_39" not in short
    assert "the 40 labels this module was trained on" in short and len(short) < len(full) / 3


def test_an_adapter_is_asked_with_the_prompt_it_was_trained_on(app_store: Store, tmp_path: Path) -> None:
    model = TestModel()
    engine = Engine(app_store, model)
    for name, prompt in (("classify@full", "full"), ("classify@compact", "compact")):
        app_store.add_adapter(
            AdapterVersion(
                name=name, module_id=MODULE, base_model="fake", path=str(tmp_path), recipe={"prompt": prompt}
            )
        )
    systems = {}
    for target in ("base", "classify@full", "classify@compact", "classify@compact+examples:2"):
        run_sync(engine.invoke("classify", {"message": "my card was declined"}, target=target))
        systems[target] = model.requests[-1].messages[0].content
        assert model.requests[-1].choices == ["lost_card", "card_declined", "refund_request"]  # scoring enforces
    assert "refund_request" in systems["base"] and systems["base"] == systems["classify@full"]
    assert "refund_request" not in systems["classify@compact"]
    assert "the 3 labels this module was trained on" in systems["classify@compact+examples:2"]
    # A freshly trained adapter is evaluated by the gate before it is registered: the loop says how it learned.
    engine.trained_prompt("classify@new", compact=True)
    assert engine._compact("classify@new") and not engine._compact("classify@unknown")

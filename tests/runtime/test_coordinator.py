"""A composed module's coordinator: it calls the modules it calls in the prototype, then answers with their
answers in its prompt (the fixture app scanned and planned for real; the library's fake model answers)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentforge.artifacts import Manifest, ModulePlan, Plan
from agentforge.llm import FunctionModel, ModelRequest
from agentforge.plan import make_plan
from agentforge.runtime import Engine
from agentforge.runtime.prompts import render_messages
from agentforge.scan import scan_repo
from agentforge.store import Store

APP = Path(__file__).parents[1] / "plan" / "composed_app"
REPLY = "helpdesk/ai.py::draft_reply"
INTENT = "helpdesk/ai.py::classify_intent"
DETAILS = "helpdesk/ai.py::extract_details"
ASK = {"message": "I was charged 35 EUR twice for one order", "customer_name": "Ada"}


def composed_manifest() -> Manifest:
    specs = scan_repo(APP).modules
    plan = make_plan(specs, root=str(APP), base_model="fake")
    return Manifest(app_name="helpdesk", source_root=str(APP), specs=specs, plan=plan)


def answer(req: ModelRequest) -> str:
    """Labels pick `refund_request`, JSON gets the amount, free text gets a reply that repeats what it was told."""
    if req.choices:
        return "refund_request"
    if req.json_schema is not None:
        return json.dumps({"amount": 35.0, "currency": "EUR"})
    return "Dear Ada, we will refund the 35 EUR charged twice."


def engine_for(tmp_path: Path, manifest: Manifest, respond: object = answer) -> tuple[Engine, FunctionModel]:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.save_manifest(manifest)
    model = FunctionModel(respond)  # type: ignore[arg-type]
    return Engine(store, model), model


def test_the_coordinator_calls_its_tools_then_answers_with_their_answers(tmp_path: Path) -> None:
    engine, model = engine_for(tmp_path, composed_manifest())
    trace = asyncio.run(engine.invoke(REPLY, ASK))
    engine.flush_traces()

    assert trace.output == "Dear Ada, we will refund the 35 EUR charged twice."
    assert [(c.module_id, c.input, c.output, c.error) for c in trace.tool_calls] == [
        (INTENT, {"message": ASK["message"]}, "refund_request", None),
        (DETAILS, {"message": ASK["message"]}, {"amount": 35.0, "currency": "EUR"}, None),
    ]
    # each tool call is a module call of its own, traced where the coordinator's call is
    for call in trace.tool_calls:
        assert call.trace_id is not None
        assert engine.get_trace(call.trace_id).module_id == call.module_id
    last = model.requests[-1].messages[-1].content
    assert last.endswith(
        'Answers of the modules this one uses:\n- classify_intent: refund_request\n- extract_details: {"amount": 35.0, '
        '"currency": "EUR"}'
    )
    assert len(model.requests) == 3  # two tools, one answer: no model call for arguments the inputs name


def test_a_correction_trains_on_the_prompt_the_coordinator_was_served(tmp_path: Path) -> None:
    engine, model = engine_for(tmp_path, composed_manifest())
    trace = asyncio.run(engine.invoke(REPLY, ASK))
    engine.correct(trace.id, "Dear Ada, we are sorry: the second 35 EUR charge will be refunded.")
    (example,) = engine.store.list_examples(engine.workspace_id, REPLY)
    plan = engine.plan(REPLY)
    kind, role = engine.catalog.kind(plan.kind), engine.catalog.role(plan.agent_role)
    rendered = render_messages(kind, role, engine.spec(REPLY), example.input, tool_calls=example.tool_calls)
    assert [m.content for m in rendered] == [m.content for m in model.requests[-1].messages]


def test_missing_tool_arguments_come_from_the_model_under_the_tools_input_schema(tmp_path: Path) -> None:
    manifest = composed_manifest()
    intent = next(s for s in manifest.specs if s.id == INTENT)
    intent.input_schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    asked: list[ModelRequest] = []

    def respond(req: ModelRequest) -> str:
        if req.json_schema is not None and req.json_schema.get("required") == ["text"]:
            asked.append(req)
            return json.dumps({"text": "charged twice"})
        return answer(req)

    engine, _ = engine_for(tmp_path, manifest, respond)
    trace = asyncio.run(engine.invoke(REPLY, ASK))
    assert len(asked) == 1 and "classify_intent" in asked[0].messages[0].content
    assert trace.tool_calls[0].input == {"text": "charged twice"}
    assert trace.tool_calls[0].output == "refund_request"


def test_a_tool_that_fails_is_left_out_and_the_coordinator_still_answers(tmp_path: Path) -> None:
    manifest = composed_manifest()
    details = next(s for s in manifest.specs if s.id == DETAILS)
    details.static_example = None  # no fallback: every route of the tool fails

    def respond(req: ModelRequest) -> str:
        return "not json" if req.json_schema is not None else answer(req)

    engine, model = engine_for(tmp_path, manifest, respond)
    trace = asyncio.run(engine.invoke(REPLY, ASK))
    assert trace.output == "Dear Ada, we will refund the 35 EUR charged twice."
    assert trace.tool_calls[1].error is not None and "every route failed" in trace.tool_calls[1].error
    assert "extract_details" not in model.requests[-1].messages[-1].content


def test_a_cycle_in_the_call_graph_ends(tmp_path: Path) -> None:
    """Two coordinators that call each other: each call chain enters a module once."""
    manifest = composed_manifest()
    plan = manifest.plan
    looped = [
        m.model_copy(update={"agent_role": "coordinator", "tools": [REPLY]}) if m.module_id == INTENT else m
        for m in plan.modules
    ]
    manifest.plan = Plan(root=plan.root, base_model=plan.base_model, modules=looped)
    engine, _ = engine_for(tmp_path, manifest)
    trace = asyncio.run(engine.invoke(REPLY, ASK))
    intent_call = trace.tool_calls[0]
    assert intent_call.output == "refund_request"
    inner = engine.get_trace(intent_call.trace_id or "")
    assert [c.module_id for c in inner.tool_calls] == [REPLY]
    assert inner.tool_calls[0].error is not None and "already in this call chain" in inner.tool_calls[0].error


def test_evaluation_calls_do_not_record_the_tools_either(tmp_path: Path) -> None:
    engine, _ = engine_for(tmp_path, composed_manifest())
    asyncio.run(engine.invoke(REPLY, ASK, record=False))
    engine.flush_traces()
    assert engine.store.list_traces(engine.workspace_id) == []


@pytest.mark.slow
def test_the_coordinator_answers_on_the_default_model(tmp_path: Path) -> None:
    from agentforge.llm.local import LocalModel

    manifest = composed_manifest()
    reply_plan: ModulePlan = manifest.plan.modules[2]
    reply_plan.policy.max_new_tokens = 48  # a short reply keeps the test quick
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.save_manifest(manifest)
    trace = asyncio.run(Engine(store, LocalModel.load(threads=1)).invoke(REPLY, ASK))
    assert isinstance(trace.output, str) and trace.output.strip() and not trace.fallback_used
    labels = next(s for s in manifest.specs if s.id == INTENT).output_schema["enum"]
    assert trace.tool_calls[0].output in labels
    assert set(trace.tool_calls[1].output) <= {"amount", "currency"}
    assert all(call.error is None for call in trace.tool_calls)

"""Run by tests/llm/test_bridge_crewai.py inside .venv-crewai (CrewAI lives in its own environment, telemetry
off): a real Crew with one agent on the agentforge bridge, its LLM answered through a module's route.
Prints one JSON line."""

from __future__ import annotations

import json
import tempfile

from crewai import Agent, Crew, Task

from agentforge.artifacts import AdapterVersion, Route
from agentforge.llm import FunctionModel, ModelRequest
from agentforge.llm.bridges.crewai import AgentforgeCrewLLM
from agentforge.runtime import Engine
from agentforge.store import Store
from tests.runtime.conftest import make_manifest  # the test runs this with the repository on PYTHONPATH

MODULE = "app/ai.py::draft"
seen: list[dict[str, object]] = []


def respond(req: ModelRequest) -> str:
    seen.append({"adapter": req.adapter, "roles": [m.role for m in req.messages]})
    return f"Thought: I can answer now.\nFinal Answer: reply from {req.adapter or 'base'}\nObservation: cut by stop"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/store.db")
        store.save_manifest(make_manifest())
        store.add_adapter(AdapterVersion(name="draft@v7", module_id=MODULE, base_model="fake", path=tmp))
        store.set_route("default", MODULE, Route(champion="draft@v7"))
        engine = Engine(store, FunctionModel(respond))
        llm = AgentforgeCrewLLM(model="agentforge", backend=engine.model, engine=engine, module=MODULE)
        agent = Agent(role="Support writer", goal="Answer bank customers", backstory="Kind and brief.", llm=llm)
        task = Task(description="Reply to: my card was swallowed.", expected_output="A short reply.", agent=agent)
        result = Crew(agents=[agent], tasks=[task], verbose=False).kickoff()
        report = {"output": str(result.raw), "calls": seen, "function_calling": llm.supports_function_calling()}
        print(json.dumps(report))


if __name__ == "__main__":
    main()

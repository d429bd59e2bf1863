"""Planning with a durable checkpointer: a review that waits for a person, and a run that survives a kill.

Every node's result is saved (SQLite by default, PostgreSQL when the URL says so), under a thread id that is
the hash of what is planned (root, base model, module ids and source hashes). So `agentforge plan --review`
killed while it waits, or killed mid-run, picks up where it stopped when started again on the same repo, and
no node runs twice; a finished thread is cleared, so the next review starts over.

    with PlanCheckpoints.open() as checkpoints:
        run = checkpoints.run(specs, root=".", base_model="smollm2-135m-instruct")
        pending = run.start()           # list[ModuleProposal]: waiting for review; or None: done
        plan = run.resume([PlanEdit(module="classify_intent", kind="extract")])
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agentforge.artifacts import ModuleSpec, Plan
from agentforge.catalog import Catalog, load_catalog
from agentforge.config import default_home
from agentforge.errors import ConfigError, PlanError
from agentforge.llm.base import Model
from agentforge.plan.graph import PlanContext, PlanInput, build_plan_graph
from agentforge.plan.review import ModuleProposal, PlanEdit, check_edits

CHECKPOINTS_ENV = "AGENTFORGE_PLAN_CHECKPOINTS"
"""Where plan checkpoints live: `sqlite:///PATH` or `postgresql://...` (default: `$AGENTFORGE_HOME/plans.db`)."""

_ARTIFACTS = [
    "ModuleSpec",
    "Language",
    "ByteSpan",
    "DetectionReason",
    "Param",
    "Route",
    "Canary",
    "Policy",
    "ModulePlan",
    "Plan",
]
SERDE = JsonPlusSerializer(
    allowed_msgpack_modules=[
        *(("agentforge.artifacts", name) for name in _ARTIFACTS),
        ("agentforge.plan.rules", "KindDecision"),
        ("agentforge.catalog.loader", "RoleSpec"),
    ]
)
"""Checkpoints hold the planner's own types; only these are read back (LangGraph refuses unknown ones)."""


def thread_id(
    specs: Sequence[ModuleSpec], root: str, base_model: str, *, teams: bool = False, catalog: Catalog | None = None
) -> str:
    """Names the run by what is planned and with what, so a changed repo or catalog starts a new review."""
    digest = hashlib.sha256(f"{root}\0{base_model}\0{'teams' if teams else ''}".encode())
    entries = catalog.workspace_entries() if catalog is not None else None
    if entries is not None and (entries.kinds or entries.roles):
        digest.update(entries.model_dump_json().encode())
    for spec in sorted(specs, key=lambda s: s.id):
        digest.update(f"\0{spec.id}\0{spec.source_hash}".encode())
    return f"plan-{digest.hexdigest()[:32]}"


class PlanRun:
    """One checkpointed planning run of a set of specs."""

    def __init__(
        self, saver: BaseCheckpointSaver[Any], specs: Sequence[ModuleSpec], root: str, context: PlanContext
    ) -> None:
        self._graph = build_plan_graph().compile(checkpointer=saver, name="agentforge-plan")
        self._saver = saver
        self._input: PlanInput = {"root": root, "specs": list(specs)}
        self._context = context
        self.thread_id = thread_id(specs, root, context.base_model, teams=context.teams, catalog=context.catalog)
        self._config: Any = {"configurable": {"thread_id": self.thread_id}}

    def start(self) -> list[ModuleProposal] | None:
        """Run (or pick up) the planner: the proposal when it waits for review, None when the plan is done."""
        state = self._graph.get_state(self._config)
        if state.next and not state.interrupts:
            self._graph.invoke(None, self._config, context=self._context)  # killed mid-run: go on from there
        elif not state.next:
            if state.values:
                self._saver.delete_thread(self.thread_id)  # finished before: plan afresh
            self._graph.invoke(self._input, self._config, context=self._context)
        return self.pending()

    def pending(self) -> list[ModuleProposal] | None:
        state = self._graph.get_state(self._config)
        if not state.interrupts:
            return None
        return [ModuleProposal.model_validate(m) for m in state.interrupts[0].value["modules"]]

    def resume(self, edits: Sequence[PlanEdit]) -> Plan:
        """Apply the reviewer's edits (refused with PlanError before anything runs when one is wrong)."""
        proposal = self.pending()
        if proposal is None:
            raise PlanError(f"no plan review is waiting in thread {self.thread_id}; start one with --review")
        checked = check_edits(edits, proposal, self._context.catalog)
        resume = [edit.model_dump() for edit in checked]
        self._graph.invoke(Command(resume=resume), self._config, context=self._context)
        return self.result()

    def result(self) -> Plan:
        state = self._graph.get_state(self._config)
        plan = state.values.get("plan")
        if state.next or not isinstance(plan, Plan):
            raise PlanError(f"the planning run {self.thread_id} has not finished (next: {', '.join(state.next)})")
        return plan

    def steps(self) -> list[str]:
        """The nodes that finished in this thread, oldest first: each checkpoint names the node(s) to run next,
        and a node finished when a later checkpoint exists."""
        history = list(reversed(list(self._graph.get_state_history(self._config))))
        return [name for snapshot in history[:-1] for name in snapshot.next if name != "__start__"]


class PlanCheckpoints:
    """An open checkpoint store for planning runs."""

    def __init__(self, saver: BaseCheckpointSaver[Any], catalog: Catalog) -> None:
        self.saver = saver
        self.catalog = catalog

    @classmethod
    @contextmanager
    def open(cls, url: str | None = None, *, catalog: Catalog | None = None) -> Iterator[PlanCheckpoints]:
        url = url or os.environ.get(CHECKPOINTS_ENV) or f"sqlite:///{default_home() / 'plans.db'}"
        with ExitStack() as stack:
            yield cls(stack.enter_context(_saver(url)), catalog or load_catalog())

    def run(
        self,
        specs: Sequence[ModuleSpec],
        *,
        root: str,
        base_model: str,
        review: bool = True,
        model: Model | None = None,
        teams: bool = False,
    ) -> PlanRun:
        context = PlanContext(catalog=self.catalog, base_model=base_model, review=review, model=model, teams=teams)
        return PlanRun(self.saver, specs, root, context)


@contextmanager
def _saver(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            yield SqliteSaver(conn, serde=SERDE)
        finally:
            conn.close()
        return
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
        except ImportError as exc:
            raise ConfigError(
                "PostgreSQL plan checkpoints need langgraph-checkpoint-postgres: pip install 'agentforge[postgres]'"
            ) from exc
        with PostgresSaver.from_conn_string(url) as saver:
            saver.serde = SERDE
            saver.setup()
            yield saver
        return
    raise ConfigError(f"plan checkpoints URL {url!r}: expected sqlite:///PATH or postgresql://...")

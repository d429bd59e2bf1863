"""`agentforge plan --review`: show the proposed plan, take a person's edits, resume from the checkpoint."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from agentforge.artifacts import ModuleSpec, Plan
from agentforge.catalog import Catalog
from agentforge.cli.render import agents_text
from agentforge.errors import PlanError
from agentforge.llm.base import Model
from agentforge.plan.checkpoints import PlanCheckpoints
from agentforge.plan.review import ModuleProposal, PlanEdit, parse_edit

PROMPT = "edit (MODULE kind=K role=R reviewer=R|none champion=T, or MODULE exclude; an empty line accepts): "


def proposal_table(proposal: Sequence[ModuleProposal]) -> Table:
    table = Table(title="Proposed plan, waiting for review")
    for col in ("module", "kind", "agent", "reviewer", "champion", "decided by", "why"):
        table.add_column(col)
    for p in proposal:
        agent = agents_text(p.agent_role, None, p.tools)
        table.add_row(p.name, p.kind, agent, p.reviewer or "-", p.champion, p.decided_by, p.rationale)
    return table


def prompt_edits(console: Console) -> list[PlanEdit]:
    """Edits typed one per line until an empty line or end of input; a bad line is refused and asked again."""
    edits: list[PlanEdit] = []
    while True:
        console.print(PROMPT, end="", markup=False, highlight=False)
        line = sys.stdin.readline()
        if not line.strip():
            return edits
        try:
            edits.append(parse_edit(line))
        except PlanError as exc:
            console.print(f"[red]error:[/] {exc}")


def review_plan(
    specs: Sequence[ModuleSpec],
    *,
    root: str,
    base_model: str,
    edits: Sequence[str],
    accept: bool,
    checkpoints: str | None,
    console: Console,
    model: Model | None = None,
    teams: bool = False,
    catalog: Catalog | None = None,
) -> Plan:
    """Plan with a review stop: edits from `--edit`, none with `--accept`, else asked for on standard input.

    A review left waiting (the process killed at the prompt, say) is picked up by the next run on the same
    specs, from its checkpoint."""
    with PlanCheckpoints.open(checkpoints, catalog=catalog) as store:
        run = store.run(specs, root=root, base_model=base_model, model=model, teams=teams)
        proposal = run.start()
        if proposal is None:
            return run.result()
        console.print(f"planned (checkpointed): {' → '.join(run.steps())}; waiting for review", highlight=False)
        console.print(proposal_table(proposal))
        given = [parse_edit(text) for text in edits]
        chosen = given if given or accept else prompt_edits(console)
        return run.resume(chosen)

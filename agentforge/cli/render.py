"""Rich renderings shared by the CLI commands."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from agentforge.artifacts import DetectionReason, JsonSchema, ModuleSpec, Plan, ScanResult


def schema_summary(schema: JsonSchema) -> str:
    if "enum" in schema:
        labels = [str(v) for v in schema["enum"]]
        shown = ", ".join(labels[:4]) + (f", … ({len(labels)} labels)" if len(labels) > 4 else "")
        return f"{schema.get('title', 'enum')}: {shown}"
    if schema.get("type") == "object" and "properties" in schema:
        return f"{schema.get('title', 'object')} {{{', '.join(schema['properties'])}}}"
    return json.dumps(schema)[:60] if schema else "any"


def modules_table(result: ScanResult) -> Table:
    table = Table(title=f"Stub modules in {result.root}", show_lines=False)
    table.add_column("module", overflow="fold")
    table.add_column("output")
    table.add_column("why it is a stub (against: -)")
    table.add_column("conf.", justify="right")
    for spec in result.modules:
        table.add_row(spec.id, schema_summary(spec.output_schema), _codes(spec.reasons), f"{spec.confidence:.2f}")
    return table


def candidates_table(result: ScanResult) -> Table:
    """The functions that showed some evidence and were not reported, with the evidence and why not."""
    table = Table(title=f"Considered and not reported (below {result.min_confidence:.2f})")
    table.add_column("function", overflow="fold")
    table.add_column("evidence (against: -)")
    table.add_column("why not", overflow="fold")
    table.add_column("conf.", justify="right")
    for c in sorted(result.candidates, key=lambda c: -c.confidence):
        table.add_row(c.id, _codes(c.reasons), c.why, f"{c.confidence:.2f}")
    return table


def summary_line(result: ScanResult) -> str:
    return (
        f"{result.files_scanned} files, {result.functions} functions read, {len(result.candidates)} candidates "
        f"left out, {len(result.modules)} stubs found (min confidence {result.min_confidence:.2f})"
    )


def _codes(reasons: list[DetectionReason]) -> str:
    return ", ".join(f"-{r.code}" if r.weight < 0 else r.code for r in reasons)


def agents_text(role: str, reviewer: str | None, tools: list[str]) -> str:
    """`writer`, `writer + reviewer` for a team, `coordinator (uses a, b)` for a composed module."""
    text = f"{role} + {reviewer}" if reviewer else role
    if tools:
        text += f" (uses {', '.join(tool.rpartition('::')[2] for tool in tools)})"
    return text


def plan_table(plan: Plan, specs: list[ModuleSpec]) -> Table:
    names = {s.id: s.name for s in specs}
    table = Table(title=f"Plan (base model {plan.base_model})")
    for col in ("module", "kind", "agent", "route", "retries", "decided by"):
        table.add_column(col)
    for m in plan.modules:
        table.add_row(
            names.get(m.module_id, m.module_id),
            m.kind,
            agents_text(m.agent_role, m.reviewer, m.tools),
            " → ".join(dict.fromkeys([m.route.champion, *m.route.fallback])),
            str(m.policy.max_retries),
            m.decided_by,
        )
    return table


def print_warnings(console: Console, result: ScanResult) -> None:
    for w in result.warnings:
        console.print(f"[yellow]warning[/] {w.path}: {w.message}")

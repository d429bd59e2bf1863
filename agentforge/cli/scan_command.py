"""`agentforge scan`: the stub functions of a prototype, their contracts, and why each was or was not reported."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agentforge.cli.render import candidates_table, modules_table, print_warnings, summary_line
from agentforge.cli.scanning import MinConfidenceOpt, NoCacheOpt, repo_folder, scan_path
from agentforge.errors import AgentforgeError
from agentforge.scan import DEFAULT_MIN_CONFIDENCE


class ScanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"


def scan(
    path: Annotated[
        Path, typer.Argument(help="The prototype's folder, or a zip / tar.gz of it (unpacked safely).", exists=True)
    ],
    output_format: Annotated[
        ScanFormat, typer.Option("--format", help="table for people, json for tools, sarif for editors and CI.")
    ] = ScanFormat.TABLE,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    min_confidence: MinConfidenceOpt = DEFAULT_MIN_CONFIDENCE,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Also list every function that showed some evidence of faking and was not reported, with why "
            "(in --json as `candidates`).",
        ),
    ] = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Find the stub functions of a prototype and their typed contracts (never imports the code).

    How a body fakes is weighed against what the function is for; each finding lists its reasons (--explain)."""
    from agentforge.cli.sarif import to_sarif

    console = Console()
    try:
        with repo_folder(path) as root:
            result = scan_path(root, no_cache=no_cache, min_confidence=min_confidence, explain=True)
    except AgentforgeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    if as_json or output_format is ScanFormat.JSON:
        exclude = None if explain else {"candidates"}
        typer.echo(result.model_dump_json(indent=2, exclude=exclude))
    elif output_format is ScanFormat.SARIF:
        typer.echo(json.dumps(to_sarif(result), indent=2))
    else:
        console.print(modules_table(result))
        if explain:
            console.print(candidates_table(result))
        print_warnings(console, result)
        console.print(summary_line(result))

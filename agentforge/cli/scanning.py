"""How every CLI verb scans: with the per-file cache by default, so a rescan after an edit is quick."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentforge.artifacts import ScanResult

NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Read every file afresh instead of reusing the per-file scan results cached under AGENTFORGE_HOME.",
    ),
]


def scan_path(path: Path, *, no_cache: bool) -> ScanResult:
    """`scan_repo` with its cache under AGENTFORGE_HOME (never inside the repo): a rescan re-reads only the
    files that changed, and the result is the same as `--no-cache` gives."""
    from agentforge.scan import scan_repo
    from agentforge.scan.cache import default_cache_dir

    return scan_repo(path, cache_dir=None if no_cache else default_cache_dir(path))

"""How every CLI verb scans: with the per-file cache by default, so a rescan after an edit is quick."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from agentforge.artifacts import ScanResult
from agentforge.scan.scoring import DEFAULT_MIN_CONFIDENCE

NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Read every file afresh instead of reusing the per-file scan results cached under AGENTFORGE_HOME.",
    ),
]


MinConfidenceOpt = Annotated[
    float,
    typer.Option(
        "--min-confidence",
        min=0.0,
        max=1.0,
        help="Report the stubs whose confidence reaches this (default 0.5, chosen on a labelled corpus of real "
        "prototypes: lower finds more, with more false positives; `scan --explain` shows what is left out).",
    ),
]

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


def archive_stem(path: Path) -> str:
    """`repo` for `repo.zip`, `repo.tar.gz`, `repo.tgz`: the app's name when it is built from an archive."""
    name = path.name
    return next((name[: -len(s)] for s in ARCHIVE_SUFFIXES if name.lower().endswith(s)), path.stem)


@contextmanager
def repo_folder(path: Path) -> Iterator[Path]:
    """The prototype's folder: `path` itself, or an archive of it (zip, tar, tar.gz) unpacked safely into a
    temporary folder that is removed afterwards (`agentforge.scan.archives`: nothing in it is trusted or run). An
    archive holding one top folder (as a GitHub download does) yields that folder."""
    if path.is_dir():
        yield path
        return
    from agentforge.scan.archives import project_root, unpack_archive

    with tempfile.TemporaryDirectory(prefix="agentforge-upload-") as tmp:
        yield project_root(unpack_archive(path, Path(tmp) / archive_stem(path)).root)


def scan_path(
    path: Path, *, no_cache: bool, min_confidence: float = DEFAULT_MIN_CONFIDENCE, explain: bool = False
) -> ScanResult:
    """`scan_repo` with its cache under AGENTFORGE_HOME (never inside the repo): a rescan re-reads only the
    files that changed, and the result is the same as `--no-cache` gives."""
    from agentforge.scan import scan_repo
    from agentforge.scan.cache import default_cache_dir

    cache_dir = None if no_cache else default_cache_dir(path)
    return scan_repo(path, cache_dir=cache_dir, min_confidence=min_confidence, explain=explain)

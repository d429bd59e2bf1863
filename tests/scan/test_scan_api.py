from __future__ import annotations

from pathlib import Path

import pytest

import agentforge.scan
from agentforge.errors import ScanError
from agentforge.scan import scan_repo


def test_public_api_is_pinned() -> None:
    assert agentforge.scan.__all__ == ["DEFAULT_MIN_CONFIDENCE", "scan_repo"]


def test_missing_root_is_a_scan_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no such directory"):
        scan_repo(tmp_path / "nope")


def test_file_root_is_a_scan_error(tmp_path: Path) -> None:
    file = tmp_path / "app.py"
    file.write_text("x = 1\n")
    with pytest.raises(ScanError, match="not a directory"):
        scan_repo(file)


def test_empty_repo_scans_to_nothing(tmp_path: Path) -> None:
    result = scan_repo(tmp_path)
    assert (result.modules, result.warnings, result.files_scanned) == ([], [], 0)
    assert result.root == str(tmp_path.resolve())

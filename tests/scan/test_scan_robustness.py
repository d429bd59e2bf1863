"""Hostile uploads: every kind of file a real repository holds that must not break or slow the scan.

The corpus is written at test time: committed broken files would trip the linters and formatters.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentforge.artifacts import ScanResult
from agentforge.scan import scan_repo

STUB = 'def stub() -> str:\n    return "stub"\n'


def _nested_ifs(depth: int) -> str:
    lines = [f"{'    ' * (i + 1)}if x > {i}:" for i in range(depth)]
    return "def deep(x: int) -> str:\n" + "\n".join(lines) + f"\n{'    ' * (depth + 1)}return 'deep'\n"


@pytest.fixture
def hostile_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    files: dict[str, str | bytes] = {
        "app.py": STUB,
        "binary.py": b"\x7fELF\x00\x00\x01" + bytes(range(256)) * 40,
        "latin.py": b'def latin() -> str:\n    return "caf\xe9 \xff\xfe"\n',
        "parens.py": "x = " + "(" * 500 + "1" + ")" * 500 + "\n" + STUB,
        "nested.py": _nested_ifs(300),
        "syntax.py": "def broken(:\n    return\nclass (:\n" + STUB,
        "half.py": 'def half() -> str:\n    return """never closed\n',
        "web/app.min.js": "var a=1;" * 700_000,
        "web/bundle.ts": "export const x = [" + "1," * 3_000 + "];\n",
        "package-lock.json": '{"lockfileVersion": 3}\n',
        "poetry.lock": "[[package]]\nname = 'x'\n",
        "node_modules/pkg/index.py": STUB,
        "dist/app.py": STUB,
        "build/lib/app.py": STUB,
        "myenv/pyvenv.cfg": "home = /usr/bin\n",
        "myenv/lib/python3.11/site-packages/pkg/mod.py": STUB,
        "locked.py": STUB,
    }
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(STUB)
    (root / "leak.py").symlink_to(outside / "secret.py")
    (root / "loop_a.py").symlink_to(root / "loop_b.py")
    (root / "loop_b.py").symlink_to(root / "loop_a.py")
    (root / "loop_dir").symlink_to(root, target_is_directory=True)
    (root / "locked.py").chmod(0)
    return root


@pytest.fixture
def hostile(hostile_repo: Path) -> ScanResult:
    return scan_repo(hostile_repo, max_file_bytes=10_000_000)


def _warned(result: ScanResult, rel: str) -> list[str]:
    return [w.message for w in result.warnings if w.path == rel]


def test_scan_completes_with_warnings(hostile: ScanResult) -> None:
    assert "app.py::stub" in {m.id for m in hostile.modules}
    assert hostile.warnings


def test_binary_and_minified_files_are_skipped(hostile: ScanResult) -> None:
    assert _warned(hostile, "binary.py") == ["skipped: binary content (NUL byte in the first 8 KB)"]
    paths = {m.path for m in hostile.modules}
    assert "binary.py" not in paths


def test_minified_script_is_skipped_under_any_size_limit(hostile_repo: Path) -> None:
    from agentforge.scan.walk import discover

    found = discover(hostile_repo.resolve(), wanted=lambda rel: rel.endswith((".js", ".ts")), max_file_bytes=10**8)
    assert found.files == []
    messages = {w.path: w.message for w in found.warnings}
    assert messages["web/app.min.js"].startswith("skipped: minified or generated (a 5600000-character line")
    assert messages["web/bundle.ts"].startswith("skipped: minified or generated")


def test_oversized_minified_file_is_skipped_by_size_first(hostile_repo: Path) -> None:
    from agentforge.scan.walk import discover

    found = discover(hostile_repo.resolve(), wanted=lambda rel: rel.endswith(".js"), max_file_bytes=1_000_000)
    assert [w.message for w in found.warnings] == ["skipped: 5600000 bytes is over the 1000000-byte limit"]


def test_deep_nesting_and_syntax_errors_give_partial_results(hostile: ScanResult) -> None:
    ids = {m.id for m in hostile.modules}
    assert {"parens.py::stub", "syntax.py::stub"} <= ids
    assert _warned(hostile, "nested.py") == []  # 300 nested ifs parse and walk without recursion trouble
    assert _warned(hostile, "syntax.py")[0].startswith("syntax error near line 1")
    assert _warned(hostile, "half.py")
    assert _warned(hostile, "latin.py") == ["not valid UTF-8 (line 2); undecodable bytes are read as U+FFFD"]


def test_links_out_and_link_loops_are_not_followed(hostile: ScanResult) -> None:
    assert _warned(hostile, "leak.py") == ["symlink points outside the root; not read"]
    assert _warned(hostile, "loop_a.py") == ["symlink loop; not read"]
    assert _warned(hostile, "loop_b.py") == ["symlink loop; not read"]
    assert not any("secret" in m.path or m.path.startswith("loop_dir") for m in hostile.modules)


def test_vendored_generated_and_environment_code_is_skipped(hostile: ScanResult) -> None:
    paths = {m.path for m in hostile.modules} | {w.path for w in hostile.warnings}
    assert not any(p.startswith(("node_modules/", "dist/", "build/", "myenv/")) for p in paths)
    assert not any(p.endswith((".lock", ".json")) for p in paths)


def test_unreadable_file_warns_or_reads(hostile: ScanResult) -> None:
    """Root reads a mode-000 file anyway; anyone else gets a warning instead of a crash."""
    if os.geteuid() == 0:
        assert "locked.py::stub" in {m.id for m in hostile.modules}
    else:
        assert _warned(hostile, "locked.py") == ["could not be read: Permission denied"]

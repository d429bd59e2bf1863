"""Per-file limits: a file over its time budget is dropped with a warning, and code nested past Python's
recursion limit costs only the function that holds it; neither ever raises."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import agentforge.scan.cache_python as cache_python
import agentforge.scan.cache_script as cache_script
from agentforge.artifacts import ScanResult
from agentforge.scan import scan_repo
from agentforge.scan.judge import Judge

DEPTH = 5_000
STUB_TS = 'export function fine(text: string): string {\n  return "Thanks, an agent will reply soon.";\n}\n'
STUB_JS = 'export function fine(text) {\n  return "Thanks, an agent will reply soon.";\n}\n'
STUB_PY = 'def fine(text: str) -> str:\n    return "Thanks, an agent will reply soon."\n'


def _nested(opening: str, middle: str, closing: str) -> str:
    """Nesting `DEPTH` deep, one level per line (a single long line would be skipped as minified)."""
    return f"{opening}\n" * DEPTH + middle + f"\n{closing}" * DEPTH


DEEP = {
    "arrays.js": f"export function arrays() {{\n  return {_nested('[', '1', ']')};\n}}\n" + STUB_JS,
    "objects.ts": f"const MOCK_DEEP = {_nested('{ a:', '1', '}')};\n\nexport function mock() {{\n"
    "  return MOCK_DEEP.a;\n}\n" + STUB_TS,
    "generics.ts": f"type Deep = {_nested('Array<', 'string', '>')};\n\n"
    "export function generic(text: string): Deep {\n  return [];\n}\n" + STUB_TS,
    "unions.ts": f"type U = {_nested('(', 'string', ')')};\n\n"
    "export function union(text: string): U {\n  return 'u';\n}\n" + STUB_TS,
    "arrows.js": f"export function arrows() {{\n  return {_nested('() =>', '1', '')};\n}}\n" + STUB_JS,
    "lists.py": f"def lists() -> list:\n    return {_nested('[', '1', ']')}\n\n\n" + STUB_PY,
    "parens.py": f"X = {_nested('(', '1', ')')}\n\n\ndef parens() -> int:\n    return X\n\n\n" + STUB_PY,
}


@pytest.fixture
def deep_repo(tmp_path: Path) -> Path:
    root = tmp_path / "deep"
    root.mkdir()
    for name, text in DEEP.items():
        (root / name).write_text(text)
    return root


def _warned(result: ScanResult, rel: str) -> list[str]:
    return [w.message for w in result.warnings if w.path == rel]


def test_deep_nesting_warns_and_keeps_the_rest(deep_repo: Path, tmp_path: Path) -> None:
    result = scan_repo(deep_repo, max_file_bytes=10_000_000)
    ids = {m.id for m in result.modules}
    for name in DEEP:
        assert f"{name}::fine" in ids, name  # the file's other functions are still read
    for stub in ("arrays.js::arrays", "generics.ts::generic", "unions.ts::union", "lists.py::lists"):
        assert any(m.startswith(f"{stub}: nested too deeply") for m in _warned(result, stub.split("::")[0])), stub
    cached = scan_repo(deep_repo, max_file_bytes=10_000_000, cache_dir=tmp_path / "cache")
    assert cached == result
    assert scan_repo(deep_repo, max_file_bytes=10_000_000, cache_dir=tmp_path / "cache") == result


def _slow(monkeypatch: pytest.MonkeyPatch, slow_file: str, seconds: float) -> None:
    """Make judging each function of `slow_file` take `seconds`."""
    real: Callable[..., Any] = Judge.detect

    def detect(self: Judge[Any], site: Any) -> Any:
        if site.rel == slow_file:
            time.sleep(seconds)
        return real(self, site)

    monkeypatch.setattr(Judge, "detect", detect)


@pytest.mark.parametrize(
    ("module", "slow", "fast", "stub"),
    [(cache_script, "slow.ts", "fast.ts", STUB_TS), (cache_python, "slow.py", "fast.py", STUB_PY)],
)
def test_a_file_over_its_time_budget_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: Any, slow: str, fast: str, stub: str
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / slow).write_text(stub + "\n\n" + stub.replace("fine", "second"))
    (root / fast).write_text(stub)
    _slow(monkeypatch, slow, 0.4)
    result = scan_repo(root, max_file_seconds=0.3, cache_dir=tmp_path / "cache")
    assert {m.path for m in result.modules} == {fast}
    assert _warned(result, slow) == ["skipped: reading it took over 0.3 s (the per-file time budget)"]
    monkeypatch.undo()
    # an over-budget result is never cached: the next scan reads the file again
    assert scan_repo(root, cache_dir=tmp_path / "cache") == scan_repo(root)
    assert {m.path for m in scan_repo(root, cache_dir=tmp_path / "cache").modules} == {slow, fast}


def test_no_budget_and_zero_budget(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.ts").write_text(STUB_TS)
    (root / "b.py").write_text(STUB_PY)
    assert len(scan_repo(root, max_file_seconds=None).modules) == 2
    starved = scan_repo(root, max_file_seconds=0)
    assert starved.modules == []
    assert {w.path for w in starved.warnings} == {"a.ts", "b.py"}

"""Names across files: imports, aliases and collisions resolve statically, or are dropped, never crash."""

from __future__ import annotations

from pathlib import Path

from agentforge.artifacts import ModuleSpec
from agentforge.scan import scan_repo

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": (
        "from enum import Enum\n"
        "class Status(Enum):\n    OPEN = 'open'\n    SHUT = 'shut'\n"
        "def draft(text: str) -> str:\n    return 'the answer a'\n"
        "def triage(text: str) -> Status:\n    return Status.OPEN\n"
    ),
    "pkg/b.py": (
        "from enum import Enum\n"
        "class Status(Enum):\n    NEW = 'new'\n"
        "def draft(text: str) -> str:\n    return 'the answer b'\n"
        "def triage(text: str) -> Status:\n    return Status.NEW\n"
    ),
    "pkg/c.py": (
        "from . import b\n"
        "from .a import Status as AStatus, draft\n"
        "from elsewhere import triage\n"
        "# agentforge: dynamic\n"
        "def combine() -> AStatus:\n"
        "    return draft() + b.draft() + triage() + unknown()\n"
        "def first(text: str) -> AStatus:\n    return AStatus.SHUT\n"
    ),
    "pkg/d.py": (
        "def draft(x: int) -> str:\n    return 'one answer'\n\ndef draft(x: int) -> str:\n    return 'two answers'\n"
    ),
}


def scan(tmp_path: Path) -> tuple[dict[str, ModuleSpec], list[str]]:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    result = scan_repo(tmp_path)
    return {m.id: m for m in result.modules}, [f"{w.path}: {w.message}" for w in result.warnings]


def test_calls_follow_imports_and_drop_ambiguous_names(tmp_path: Path) -> None:
    modules, _ = scan(tmp_path)
    # `status` comes from a module outside the repository while two repo stubs share the name: dropped.
    assert modules["pkg/c.py::combine"].calls == ["pkg/a.py::draft", "pkg/b.py::draft"]
    assert modules["pkg/a.py::draft"].called_by == ["pkg/c.py::combine"]
    assert modules["pkg/a.py::triage"].called_by == modules["pkg/b.py::triage"].called_by == []


def test_same_named_classes_resolve_per_file_and_through_import_aliases(tmp_path: Path) -> None:
    modules, _ = scan(tmp_path)
    assert modules["pkg/a.py::triage"].output_schema["enum"] == ["open", "shut"]
    assert modules["pkg/b.py::triage"].output_schema["enum"] == ["new"]
    first = modules["pkg/c.py::first"]
    assert first.output_schema["enum"] == ["open", "shut"]
    assert "returns_literal" in [r.code for r in first.reasons]
    assert first.static_example == "shut"


def test_a_redefined_function_is_one_module_and_a_warning(tmp_path: Path) -> None:
    modules, warnings = scan(tmp_path)
    assert modules["pkg/d.py::draft"].static_example == "two answers"
    assert warnings == ["pkg/d.py: pkg/d.py::draft is defined twice; the later definition wins"]

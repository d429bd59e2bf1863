"""Incremental rescans: an edit re-parses the edited file only, and the result equals a cold scan."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from tree_sitter import Parser, Tree

import agentforge.scan.cache as cache_module
from agentforge.scan import scan_repo
from agentforge.scan.cache import default_cache_dir

from .conftest import FIXTURES


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The source of every file the cache module parses, in order."""
    seen: list[bytes] = []
    real = cache_module._parse

    def counting(parser: Parser, source: bytes) -> Tree:
        seen.append(source)
        return real(parser, source)

    monkeypatch.setattr(cache_module, "_parse", counting)
    return seen


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "shop", root)
    return root


def _py_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py"))


def test_cold_cached_scan_equals_plain_scan(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    plain = scan_repo(repo)
    parsed.clear()
    cached = scan_repo(repo, cache_dir=tmp_path / "cache")
    assert cached == plain
    assert len(parsed) == cached.files_scanned


def test_unchanged_rescan_parses_nothing(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    first = scan_repo(repo, cache_dir=tmp_path / "cache")
    parsed.clear()
    assert scan_repo(repo, cache_dir=tmp_path / "cache") == first
    assert parsed == []


@pytest.mark.parametrize(
    ("edited", "reparsed"),
    [
        ("logic.py", ["logic.py"]),
        ("models.py", ["models.py"]),
        ("markers.py", ["markers.py"]),
        # assistant.py's stubs return types declared in models.py, whose class bodies are read on demand
        ("assistant.py", ["assistant.py", "models.py"]),
    ],
)
def test_edit_reparses_only_the_edited_file(
    repo: Path, tmp_path: Path, parsed: list[bytes], edited: str, reparsed: list[str]
) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    target = repo / "shop" / edited
    source = target.read_text()
    target.write_text(source.replace("\n\n", "\n\n# an edit that changes no definition\n", 1) + "\n# edited\n")
    parsed.clear()
    warm = scan_repo(repo, cache_dir=tmp_path / "cache")
    names = {p.read_bytes(): p.name for p in _py_files(repo)}
    assert [names[source] for source in parsed] == reparsed
    assert warm == scan_repo(repo)


def test_body_edit_changes_the_result_like_a_cold_scan(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    target = repo / "shop" / "boom.py"
    target.write_text(target.read_text().replace('"read, never run"', '"edited"'))
    parsed.clear()
    warm = scan_repo(repo, cache_dir=tmp_path / "cache")
    assert parsed == [target.read_bytes()]
    assert warm == scan_repo(repo)
    assert {m.id: m.static_example for m in warm.modules}["shop/boom.py::still_scanned"] == "edited"


def test_interface_edit_falls_back_to_a_correct_full_scan(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    (repo / "shop" / "extra.py").write_text('def extra() -> str:\n    return "stub"\n')
    assert scan_repo(repo, cache_dir=tmp_path / "cache") == scan_repo(repo)


def test_corrupt_entries_are_misses(repo: Path, tmp_path: Path) -> None:
    cold = scan_repo(repo, cache_dir=tmp_path / "cache")
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_text("{not json")
    assert scan_repo(repo, cache_dir=tmp_path / "cache") == cold
    assert scan_repo(repo, cache_dir=tmp_path / "cache") == cold


def test_default_cache_dir_is_outside_the_repo(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTFORGE_HOME", str(tmp_path / "home"))
    where = default_cache_dir(repo)
    assert where.parent == tmp_path / "home" / "scan-cache"
    assert not where.is_relative_to(repo)
    scan_repo(repo, cache_dir=where)
    assert not (repo / ".agentforge").exists()


def test_lost_or_stale_snapshot_means_a_full_scan(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    cache = tmp_path / "cache"
    cold = scan_repo(repo, cache_dir=cache)
    (cache / "snapshot-python.json").unlink()
    parsed.clear()
    assert scan_repo(repo, cache_dir=cache) == cold  # no snapshot: a full scan rebuilds it
    assert len(parsed) == cold.files_scanned
    snapshot = json.loads((cache / "snapshot-python.json").read_text())
    (cache / "snapshot-python.json").write_text(json.dumps(snapshot | {"version": "0/old"}))
    parsed.clear()
    assert scan_repo(repo, cache_dir=cache) == cold  # another version's snapshot is a miss
    assert len(parsed) == cold.files_scanned


def test_reverting_an_interface_edit_gives_the_cold_result(repo: Path, tmp_path: Path) -> None:
    """Only the previous scan's entry for a path is reused: an older entry for the same content was computed
    against other files' older interfaces."""
    models = repo / "shop" / "models.py"
    original = models.read_text()
    scan_repo(repo, cache_dir=tmp_path / "cache")
    models.write_text(original.replace("class Intent(str, Enum):", 'class Intent(str, Enum):\n    EXTRA = "extra"'))
    edited = scan_repo(repo, cache_dir=tmp_path / "cache")
    assert edited == scan_repo(repo)
    models.write_text(original)
    reverted = scan_repo(repo, cache_dir=tmp_path / "cache")
    assert reverted == scan_repo(repo)
    assert reverted != edited


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust stats of files written just now (real scans wait 2 s, for filesystems with coarse timestamps)."""
    monkeypatch.setattr(cache_module, "RACY_NS", 0)


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the scan opens, by name."""
    opened: list[str] = []
    real = open

    def counting(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(str(file)).name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting)
    return opened


def test_unchanged_files_are_not_even_read(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    first = scan_repo(repo, cache_dir=tmp_path / "cache")
    target = repo / "shop" / "boom.py"
    target.write_text(target.read_text().replace('"read, never run"', '"edited"'))
    opened = _reads(monkeypatch)
    warm = scan_repo(repo, cache_dir=tmp_path / "cache")
    assert [name for name in opened if name.endswith(".py")] == ["boom.py"]
    assert warm != first
    assert warm == scan_repo(repo)


def test_an_edit_that_restores_size_and_mtime_is_still_seen(
    repo: Path, tmp_path: Path, parsed: list[bytes], settled: None
) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    target = repo / "shop" / "boom.py"
    before = target.stat()
    source = target.read_text()
    edited = source.replace('"read, never run"', '"read, never ran"')
    assert len(edited) == len(source)
    target.write_text(edited)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    parsed.clear()
    warm = scan_repo(repo, cache_dir=tmp_path / "cache")
    assert parsed == [edited.encode()]
    assert {m.id: m.static_example for m in warm.modules}["shop/boom.py::still_scanned"] == "read, never ran"


def test_files_changed_around_the_scan_are_reread(repo: Path, tmp_path: Path) -> None:
    """Without the settling margin every file here is 'racy': the next scan hashes them all again."""
    scan_repo(repo, cache_dir=tmp_path / "cache")
    snapshot = json.loads((tmp_path / "cache" / "snapshot-python.json").read_text())
    assert snapshot["stats"] == {}
    assert len(snapshot["files"]) == len(_py_files(repo))


def test_a_class_kind_from_another_file_is_read_from_the_cache(tmp_path: Path, parsed: list[bytes]) -> None:
    """A method of a class deriving from a protocol declared elsewhere is no stub; a rescan after an edit
    outside the class knows that from the stored kinds, without parsing the protocol's file."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "bases.py").write_text(
        "from typing import Protocol\n\n\nclass Replier(Protocol):\n    def reply(self, text: str) -> str: ...\n"
    )
    method = '    def reply(self, text: str) -> str:\n        """Answer the message."""\n        return "Thanks!"\n'
    bot = root / "app" / "bot.py"
    bot.write_text(f"from app.bases import Replier\n\n\nclass Bot(Replier):\n{method}\n\nclass Plain:\n{method}")
    cold = scan_repo(root, cache_dir=tmp_path / "cache")
    assert [m.id for m in cold.modules] == ["app/bot.py::Plain.reply"]
    bot.write_text(bot.read_text() + "\n# an edit outside both classes\n")
    parsed.clear()
    warm = scan_repo(root, cache_dir=tmp_path / "cache")
    assert parsed == [bot.read_bytes()]
    assert warm == scan_repo(root) and [m.id for m in warm.modules] == ["app/bot.py::Plain.reply"]


def test_a_method_edit_is_incremental_and_a_field_edit_is_not(tmp_path: Path, parsed: list[bytes]) -> None:
    """Other files read a class's header, docstring and fields, never its methods: an edit inside a method
    re-parses that file alone, while an edit of a field other files' schemas hold rescans everything."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    models = root / "app" / "models.py"
    models.write_text(
        "from pydantic import BaseModel\n\n\nclass Reply(BaseModel):\n"
        '    """A reply to the customer."""\n\n    text: str\n\n'
        "    def shout(self) -> str:\n        return self.text.upper()\n"
    )
    bot = root / "app" / "bot.py"
    bot.write_text(
        "from app.models import Reply\n\n\ndef reply(message: str) -> Reply:\n"
        '    """Answer the customer."""\n    return Reply(text="Thanks for your message!")\n'
    )
    scan_repo(root, cache_dir=tmp_path / "cache")
    models.write_text(models.read_text().replace(".upper()", ".lower()"))
    parsed.clear()
    warm = scan_repo(root, cache_dir=tmp_path / "cache")
    assert parsed == [models.read_bytes()]
    assert warm == scan_repo(root)
    models.write_text(models.read_text().replace("    text: str\n", '    text: str\n    mood: str = "calm"\n'))
    parsed.clear()
    edited = scan_repo(root, cache_dir=tmp_path / "cache")
    assert bot.read_bytes() in parsed  # bot.py's schema reads the field: it is judged again
    assert edited == scan_repo(root)
    assert set(edited.modules[0].output_schema["properties"]) == {"text", "mood"}

"""Discovery on a realistic upload: what is read, what is skipped, and what only warns."""

from __future__ import annotations

from pathlib import Path

from agentforge.scan import scan_repo
from agentforge.scan.walk import GitIgnore


def test_only_product_code_is_read(messy_repo: Path) -> None:
    result = scan_repo(messy_repo)
    paths = {m.path for m in result.modules}
    assert paths == {
        "shop/assistant.py",
        "shop/boom.py",
        "broken.py",
        "latin.py",
        "big.py",
        "pkg/anchored.py",
    }
    # shop's 6 files, broken, latin, big, pkg/anchored; the in-root link alias.py is not read twice
    assert result.files_scanned == 10


def test_link_out_of_the_root_is_not_followed(messy_repo: Path) -> None:
    result = scan_repo(messy_repo)
    assert [w.message for w in result.warnings if w.path == "leak.py"] == ["symlink points outside the root; not read"]
    assert [w.message for w in result.warnings if w.path == "leak_dir"] == ["symlink points outside the root; not read"]
    assert all("secret" not in m.path for m in result.modules)


def test_syntax_error_gives_a_warning_and_a_partial_result(messy_repo: Path) -> None:
    result = scan_repo(messy_repo)
    assert {m.id for m in result.modules if m.path == "broken.py"} == {"broken.py::stub", "broken.py::after"}
    messages = [w.message for w in result.warnings if w.path == "broken.py"]
    assert len(messages) == 1 and messages[0].startswith("syntax error near line 4")


def test_invalid_utf8_gives_a_warning_and_exact_spans(messy_repo: Path) -> None:
    result = scan_repo(messy_repo)
    latin = {m.name: m for m in result.modules if m.path == "latin.py"}
    assert set(latin) == {"latin", "stub"}
    assert latin["latin"].static_example == "un caf\ufffd pour vous"
    source = (messy_repo / "latin.py").read_bytes()
    stub = latin["stub"]
    assert source[stub.span.start_byte : stub.span.end_byte] == b'def stub() -> str:\n    return "stub"'
    assert [w.message for w in result.warnings if w.path == "latin.py"] == [
        "not valid UTF-8 (line 2); undecodable bytes are read as U+FFFD"
    ]


def test_oversized_files_are_skipped_with_a_warning(messy_repo: Path) -> None:
    result = scan_repo(messy_repo, max_file_bytes=4_000)
    assert "big.py" not in {m.path for m in result.modules}
    [warning] = [w for w in result.warnings if w.path == "big.py"]
    assert warning.message.startswith("skipped:") and "4000-byte limit" in warning.message


def test_gitignore_patterns() -> None:
    ignore = GitIgnore.parse("# c\n\n!keep.py\nlogs/\n*.gen.py\n/top.py\ndocs/*.py\n**/cache\n")
    assert ignore.ignores("logs", is_dir=True) and ignore.ignores("a/logs", is_dir=True)
    assert not ignore.ignores("logs", is_dir=False)
    assert ignore.ignores("a/b/client.gen.py", is_dir=False)
    assert ignore.ignores("top.py", is_dir=False) and not ignore.ignores("a/top.py", is_dir=False)
    assert ignore.ignores("docs/x.py", is_dir=False) and not ignore.ignores("src/docs/x.py", is_dir=False)
    assert ignore.ignores("a/cache", is_dir=True)
    assert not ignore.ignores("keep.py", is_dir=False)

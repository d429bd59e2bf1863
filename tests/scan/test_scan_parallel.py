"""A full scan split across processes gives exactly the one-process result, on real repositories too."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import agentforge.scan.cache_python as cache_python
import agentforge.scan.parallel as parallel
from agentforge.scan import scan_repo
from agentforge.scan.archives import unpack_archive
from agentforge.scan.cache import default_cache_dir

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "datasets" / "prototypes"
SAMPLES = sorted(p for p in (ROOT / "sample_apps").iterdir() if p.is_dir())


@pytest.fixture
def splits(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Split every scan (however small) across processes; each entry says whether a split scan finished."""
    monkeypatch.setattr(parallel, "SHARE_MIN_BYTES", 1)
    # threads other tests of the session left behind would keep every scan in one process
    monkeypatch.setattr(parallel, "_other_threads", lambda: 0)
    outcomes: list[bool] = []
    real = parallel.split_full

    def recording(jobs: Sequence[parallel.SplitJob], count: int) -> Any:
        done = real(jobs, count)
        outcomes.append(done is not None)
        return done

    monkeypatch.setattr(parallel, "split_full", recording)
    return outcomes


def _same(root: Path, splits: list[bool], workers: int = 2) -> None:
    alone = scan_repo(root, workers=1, explain=True)
    assert not splits
    split = scan_repo(root, workers=workers, explain=True)
    assert splits == [True]
    assert split.model_dump() == alone.model_dump()
    splits.clear()


@pytest.mark.parametrize("root", [FIXTURES / "shop", FIXTURES / "js_shop", *SAMPLES], ids=lambda p: p.name)
def test_split_scan_equals_one_process(root: Path, splits: list[bool]) -> None:
    _same(root, splits)


def test_three_processes_equal_one(splits: list[bool]) -> None:
    _same(ROOT / "sample_apps" / "support_desk", splits, workers=3)


def _corpus() -> Iterator[Path]:
    yield from sorted(CORPUS.glob("*.tar.gz")) if (CORPUS / "truth.json").is_file() else iter(())


@pytest.mark.skipif(not (CORPUS / "truth.json").is_file(), reason="the shared prototype corpus is absent")
def test_split_scan_equals_one_process_on_every_real_prototype(tmp_path: Path, splits: list[bool]) -> None:
    """Real repositories nobody here wrote: delegation across files, call links, both languages at once."""
    archives = list(_corpus())
    assert archives
    for archive in archives:
        dest = tmp_path / archive.name.removesuffix(".tar.gz")
        unpack_archive(archive, dest)
        _same(dest, splits)


def test_delegation_across_shares_is_settled(tmp_path: Path, splits: list[bool]) -> None:
    """A function in the first share whose answer is a stub's from the last share is a finding, with the link."""
    (tmp_path / "a_front.py").write_text(
        "from z_back import canned_reply\n\n\ndef answer_question(question: str) -> str:\n"
        "    return canned_reply(question)\n"
    )
    (tmp_path / "z_back.py").write_text(
        'def canned_reply(question: str) -> str:\n    """Mock AI answer."""\n'
        '    return "Thanks for asking! Our team will get back to you."\n'
    )
    result = scan_repo(tmp_path, workers=2, min_confidence=0.0)
    assert splits == [True]
    found = {m.id: m for m in result.modules}
    assert "z_back.py::canned_reply" in found
    delegating = found["a_front.py::answer_question"]
    assert any(r.code == "delegates_to_stub" for r in delegating.reasons)
    assert delegating.calls == ["z_back.py::canned_reply"]


def test_a_failing_worker_costs_only_speed(tmp_path: Path, splits: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = cache_python.PythonPipeline.index

    def failing(self: cache_python.PythonPipeline, *args: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("the worker broke")
        return real(self, *args)

    monkeypatch.setattr(cache_python.PythonPipeline, "index", failing)
    root = ROOT / "sample_apps" / "support_desk"
    result = scan_repo(root, workers=2)
    assert splits == [False]
    assert [m.id for m in result.modules] == [m.id for m in scan_repo(root, workers=1).modules]


def test_no_fork_while_other_threads_run(splits: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's request threads may hold locks a forked child would inherit held: such a process scans alone."""
    monkeypatch.setattr(parallel, "_other_threads", lambda: threading.active_count() - 1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        result = scan_repo(ROOT / "sample_apps" / "support_desk", workers=2)
    finally:
        stop.set()
        other.join()
    assert splits == [False]
    assert result.modules


def test_cached_split_scan_then_rescan(tmp_path: Path, splits: list[bool]) -> None:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "sample_apps" / "support_desk", root)
    cache = default_cache_dir(root)
    cold = scan_repo(root, cache_dir=cache, workers=2)
    assert splits and all(splits)
    splits.clear()
    target = next(root.rglob("*.py"))
    target.write_text(target.read_text() + "\n# an edit\n")
    again = scan_repo(root, cache_dir=cache, workers=2)
    assert not splits  # an edit is rescanned incrementally, not split
    assert [m.id for m in again.modules] == [m.id for m in cold.modules]
    assert again.modules == scan_repo(root, workers=1).modules


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.worker_count(None) == 3
    assert parallel.worker_count(1) == 1
    assert parallel.worker_count(100) == parallel.MAX_WORKERS
    monkeypatch.delenv(parallel.WORKERS_ENV)
    assert parallel.worker_count(None) == min(len(os.sched_getaffinity(0)), parallel.MAX_WORKERS)

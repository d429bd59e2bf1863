"""`agentforge models list|pull|info` and `serve --backend` option errors, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentforge.cli.main import app

runner = CliRunner()


def _flat(text: str) -> str:
    """Rich wraps long lines at the terminal width; compare on the words."""
    return " ".join(text.split())


def _model_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 64, "vocab_size": 100}))
    (path / "model.safetensors").write_bytes(b"\0" * 2048)
    (path / "tokenizer.json").write_text("{}")
    return path


def test_models_list_info_and_pull_of_a_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    _model_dir(tmp_path / "home" / "models" / "tiny")
    listed = runner.invoke(app, ["models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    by_name = {m["name"]: m for m in json.loads(listed.output)}
    assert by_name["tiny"]["ready"] and by_name["tiny"]["config"]["hidden_size"] == 64
    assert by_name["smollm2-135m-instruct"]["source"] in ("embedded", "cache")

    folder = _model_dir(tmp_path / "elsewhere")
    info = runner.invoke(app, ["models", "info", str(folder)])
    assert info.exit_code == 0, info.output
    assert json.loads(info.output)["weight_bytes"] == 2048
    pulled = runner.invoke(app, ["models", "pull", str(folder)])
    assert pulled.exit_code == 0 and "is ready at" in _flat(pulled.output)


def test_models_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    missing = runner.invoke(app, ["models", "info", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no model directory" in _flat(missing.output)
    offline = runner.invoke(app, ["models", "pull", "someone/not-here"])
    assert offline.exit_code == 1 and "could not download 'someone/not-here'" in _flat(offline.output)


def test_serve_refuses_bad_backend_settings(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "sample_apps" / "style_studio"
    built = runner.invoke(app, ["build", str(sample), "-o", str(tmp_path / "app"), "--no-cache"])
    assert built.exit_code == 0, built.output
    bad_kind = runner.invoke(app, ["serve", str(tmp_path / "app"), "--backend", "tpu"])
    assert bad_kind.exit_code == 1 and "invalid back-end settings" in _flat(bad_kind.output)
    url_for_local = runner.invoke(app, ["serve", str(tmp_path / "app"), "--backend-url", "http://x"])
    assert url_for_local.exit_code == 1 and "takes no base URL" in _flat(url_for_local.output)

"""`agentforge adapters list|show|promote|rollback` on a built app's real store; rollback seen by a real Engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentforge.artifacts import AdapterStatus, AdapterVersion, EvalReport, Rung
from agentforge.cli.main import app
from agentforge.config import Paths
from agentforge.learn.promotion import promote, rollback
from agentforge.llm.base import run_sync
from agentforge.runtime import Engine
from agentforge.runtime.host import OpenApp, open_app

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "app"
    result = runner.invoke(app, ["build", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def opened(built: Path, tmp_path: Path) -> Iterator[OpenApp]:
    the_app = open_app(built, f"sqlite:///{tmp_path / 'store.db'}")
    yield the_app
    the_app.close()


def _module_id(opened: OpenApp) -> str:
    return next(s.id for s in opened.store.list_specs(opened.manifest.workspace_id) if s.name == "classify_intent")


def _report(module_id: str, name: str, promoted: bool) -> EvalReport:
    return EvalReport(
        module_id=module_id,
        metric="exact_match",
        n=12,
        champion="base",
        candidate=name,
        champion_score=0.25,
        candidate_score=0.75 if promoted else 0.2,
        champion_validity=1.0,
        candidate_validity=1.0,
        margin=0.5 if promoted else -0.05,
        promoted=promoted,
        reason="promoted: test" if promoted else "not promoted: gain rule",
        rungs={"base": 0.25, name: 0.75 if promoted else 0.2, f"{name}+examples:4": 0.5},
    )


def _register(opened: OpenApp, name: str, path: Path, status: AdapterStatus = AdapterStatus.CANDIDATE) -> None:
    module_id = _module_id(opened)
    opened.store.add_adapter(
        AdapterVersion(
            name=name,
            module_id=module_id,
            base_model="smollm2-135m-instruct",
            path=str(path),
            status=status,
            train_examples=40,
            train_seconds=12.5,
            report=_report(module_id, name, status is not AdapterStatus.REJECTED),
        )
    )


def _cli(opened: OpenApp, *args: str) -> tuple[int, str]:
    command = ["adapters", *args, "--app", str(opened.dir), "--store", opened.store.url]
    result = runner.invoke(app, command, env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_list_show_promote_and_rollback_walk_the_champions(opened: OpenApp, tmp_path: Path) -> None:
    module_id = _module_id(opened)
    _register(opened, "classify@aaaa", tmp_path / "a")
    _register(opened, "classify@bbbb", tmp_path / "b")
    _register(opened, "classify@cccc", tmp_path / "c", AdapterStatus.REJECTED)

    code, out = _cli(opened, "list")
    assert code == 0, out
    assert "classify@aaaa" in out and "candidate" in out and "0.250 → 0.750" in out and "12.5" in out
    code, out = _cli(opened, "list", "--json")
    assert code == 0, out
    assert {a["name"] for a in json.loads(out)} == {"classify@aaaa", "classify@bbbb", "classify@cccc"}

    assert _cli(opened, "promote", "classify@aaaa")[0] == 0
    code, out = _cli(opened, "promote", "classify@bbbb", "--json")
    assert code == 0, out
    change = json.loads(out)
    assert change["before"]["champion"] == "classify@aaaa"
    assert (change["after"]["champion"], change["after"]["fallback"]) == (
        "classify@bbbb",
        ["classify@aaaa", "base", "static"],
    )
    statuses = {a.name: a.status for a in opened.store.list_adapters("default")}
    assert statuses["classify@aaaa"] is AdapterStatus.RETIRED and statuses["classify@bbbb"] is AdapterStatus.CHAMPION

    code, out = _cli(opened, "show", "classify@bbbb")
    assert code == 0, out
    assert "champion" in out and "exact_match on 12 held-out" in out and "classify@aaaa" in out
    assert "classify@bbbb+examples:4: 0.5000" in out and "base: 0.2500" in out  # every rung the gate scored

    code, out = _cli(opened, "promote", "classify@cccc")
    assert code == 1 and "rejected by the gate" in out
    assert opened.store.get_route("default", module_id).champion == "classify@bbbb"

    code, out = _cli(opened, "rollback", "classify_intent")
    assert code == 0, out
    route = opened.store.get_route("default", module_id)
    assert (route.champion, route.fallback) == ("classify@aaaa", ["base", "static"])
    statuses = {a.name: a.status for a in opened.store.list_adapters("default")}
    assert statuses["classify@aaaa"] is AdapterStatus.CHAMPION and statuses["classify@bbbb"] is AdapterStatus.RETIRED

    assert _cli(opened, "rollback", "classify_intent")[0] == 0
    assert opened.store.get_route("default", module_id).champion == "base"
    code, out = _cli(opened, "rollback", "classify_intent")
    assert code == 1 and "no previous champion" in out

    assert _cli(opened, "promote", "classify@cccc", "--force")[0] == 0
    assert opened.store.get_route("default", module_id).champion == "classify@cccc"


def test_unknown_names_fail_clearly(opened: OpenApp) -> None:
    code, out = _cli(opened, "show", "classify@nope")
    assert code == 1 and "not found" in out
    code, out = _cli(opened, "rollback", "no_such_module")
    assert code == 1 and "is not a module" in out


@pytest.mark.slow
def test_rollback_restores_the_previous_champion_for_the_next_call(
    opened: OpenApp, tmp_path: Path, agentforge_home: Path
) -> None:
    """Issue 5 acceptance: two real adapters, a real Engine on the real store; in-process and CLI rollbacks."""
    from agentforge.learn.dataset import TrainItem
    from agentforge.learn.recipe import load_recipe
    from agentforge.learn.trainer import train_lora
    from agentforge.llm.local import LocalModel
    from agentforge.llm.weights import resolve_model_dir
    from agentforge.runtime.engine import ROUTE_CACHE_S

    model = LocalModel.load(paths=Paths(home=agentforge_home))
    engine = Engine(opened.store, model, workspace_id=opened.manifest.workspace_id)
    recipe = load_recipe("cpu-default").model_copy(update={"num_epochs": 1})
    model_dir = resolve_model_dir(recipe.base_model, Paths(home=agentforge_home))
    for name, label in (("classify@aaaa", "lost_card"), ("classify@bbbb", "refund_request")):
        messages = engine.messages_for("classify_intent", {"message": "My card is gone"})
        items = [TrainItem(messages=messages, target=label)] * 2
        train_lora(model_dir, items, recipe, tmp_path / name, format_text=model.format_training_text)
        _register(opened, name, tmp_path / name)
    ws, module_id = opened.manifest.workspace_id, _module_id(opened)
    promote(opened.store, ws, "classify@aaaa")
    promote(opened.store, ws, "classify@bbbb")

    def answer() -> tuple[Rung, str | None]:
        trace = run_sync(engine.invoke("classify_intent", {"message": "I lost my card yesterday"}))
        return trace.route.rung, trace.route.adapter

    assert answer() == (Rung.ADAPTER, "classify@bbbb")
    rollback(engine.store, ws, module_id)  # in-process: the very next call
    assert answer() == (Rung.ADAPTER, "classify@aaaa")

    promote(opened.store, ws, "classify@bbbb")
    assert answer() == (Rung.ADAPTER, "classify@bbbb")
    env = {**os.environ, "AGENTFORGE_HOME": str(agentforge_home)}
    command = [sys.executable, "-m", "agentforge", "adapters", "rollback", "classify_intent"]
    done = subprocess.run(
        [*command, "--app", str(opened.dir), "--store", opened.store.url], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rolled_back_at = time.monotonic()
    while engine.plan(module_id).route.champion != "classify@aaaa":  # another process: seen within ROUTE_CACHE_S
        assert time.monotonic() - rolled_back_at < ROUTE_CACHE_S + 1.0
        time.sleep(0.1)
    assert answer() == (Rung.ADAPTER, "classify@aaaa")
    engine.close()


def test_export_peft_copies_the_adapter_and_gguf_says_what_is_missing(
    opened: OpenApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "adapter_config.json").write_text("{}")
    (folder / "adapter_model.safetensors").write_bytes(b"weights")
    _register(opened, "classify@aaaa", folder)
    code, out = _cli(opened, "export", "classify@aaaa", "-o", str(tmp_path / "peft"))
    assert code == 0, out
    assert (tmp_path / "peft" / "adapter_model.safetensors").read_bytes() == b"weights"
    assert json.loads((tmp_path / "peft" / "adapter_card.json").read_text())["name"] == "classify@aaaa"

    monkeypatch.delenv("LLAMA_CPP_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out = _cli(opened, "export", "classify@aaaa", "-o", str(tmp_path / "gguf"), "--format", "gguf")
    assert code == 1 and "convert_hf_to_gguf.py" in out and "LLAMA_CPP_DIR" in out
    assert not (tmp_path / "gguf").exists()

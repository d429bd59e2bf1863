"""`agentforge catalog list|show`, with a workspace folder that adds and overrides entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentforge.catalog import load_catalog
from agentforge.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _flat(text: str) -> str:
    """Without whitespace: Rich wraps error lines at the terminal's width."""
    return "".join(text.split())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Overrides `classify`'s prompt; adds a `translate` kind and a `translator` role."""
    (tmp_path / "modules").mkdir()
    (tmp_path / "agents").mkdir()
    classify = (ROOT / "modules" / "classify.yaml").read_text()
    (tmp_path / "modules" / "classify.yaml").write_text(classify.replace("Answer with exactly", "Reply with only"))
    translate = (ROOT / "modules" / "rewrite.yaml").read_text().replace("name: rewrite", "name: translate")
    (tmp_path / "modules" / "translate.yaml").write_text(translate)
    (tmp_path / "agents" / "translator.yaml").write_text(
        "name: translator\ndescription: Translates.\ninstructions: Translate faithfully.\nkinds: [translate]\n"
    )
    return tmp_path


def test_list_shows_every_built_in_entry_and_its_source() -> None:
    done = runner.invoke(app, ["catalog", "list"], terminal_width=250)
    assert done.exit_code == 0, done.output
    for path in [*(ROOT / "modules").glob("*.yaml"), *(ROOT / "agents").glob("*.yaml")]:
        assert f" {path.stem} " in done.output
    assert "built-in" in done.output


def test_a_workspace_adds_and_overrides_entries(workspace: Path) -> None:
    catalog = load_catalog([workspace])
    assert "Reply with only" in catalog.kind("classify").system
    assert catalog.kind_files["classify"] == workspace.resolve() / "modules" / "classify.yaml"
    assert catalog.kind_files["extract"] == ROOT / "modules" / "extract.yaml"
    assert [r.name for r in catalog.roles_for("translate")] == ["translator"]

    done = runner.invoke(app, ["catalog", "list", "--catalog", str(workspace)], terminal_width=250)
    assert done.exit_code == 0, done.output
    assert " translate " in done.output and " translator " in done.output
    listed = runner.invoke(app, ["catalog", "list", "--json", "--catalog", str(workspace)])
    data = json.loads(listed.output)
    assert data["kinds"]["classify"]["file"] == str(workspace.resolve() / "modules" / "classify.yaml")
    assert data["kinds"]["extract"]["file"] == str(ROOT / "modules" / "extract.yaml")
    assert data["roles"]["translator"]["kinds"] == ["translate"]

    shown = runner.invoke(app, ["catalog", "show", "classify", "--catalog", str(workspace)], terminal_width=250)
    assert shown.exit_code == 0, shown.output
    assert f"# kind classify, from {workspace.resolve() / 'modules' / 'classify.yaml'}" in shown.output
    assert "Reply with only" in shown.output


def test_show_a_role_and_an_unknown_name() -> None:
    shown = runner.invoke(app, ["catalog", "show", "writer"], terminal_width=250)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"# role writer, from {ROOT / 'agents' / 'writer.yaml'}\nname: writer\n")
    missing = runner.invoke(app, ["catalog", "show", "nope"], terminal_width=250)
    assert missing.exit_code == 1
    assert _flat("no module kind or agent role named 'nope'; known: classifier, classify") in _flat(missing.output)


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("modules/bad.yaml", "name: bad\noutput: label\n", "modules/bad.yaml: invalid KindSpec"),
        ("modules/oops.yaml", "name: [unclosed\n", "modules/oops.yaml: invalid KindSpec"),
        ("agents/odd.yaml", "name: other\ndescription: d\ninstructions: i\nkinds: [classify]\n", "must match"),
        ("agents/lost.yaml", "name: lost\ndescription: d\ninstructions: i\nkinds: [nope]\n", "unknown kinds"),
    ],
)
def test_invalid_workspace_entries_fail_with_the_file(tmp_path: Path, path: str, text: str, message: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(text)
    done = runner.invoke(app, ["catalog", "list", "--catalog", str(tmp_path)], terminal_width=250)
    assert done.exit_code == 1
    assert _flat(message) in _flat(done.output)


def test_a_folder_without_catalog_entries_is_refused(tmp_path: Path) -> None:
    done = runner.invoke(app, ["catalog", "list", "--catalog", str(tmp_path / "none")], terminal_width=250)
    assert done.exit_code == 1
    assert _flat("has no modules/ or agents/ folder") in _flat(done.output)

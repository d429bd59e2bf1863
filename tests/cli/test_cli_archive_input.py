"""`scan`, `plan` and `build` take a zip or tar.gz of a prototype as well as its folder; a hostile archive is
refused with a clear error and no app is written."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from agentforge.build import load_manifest
from agentforge.cli.main import app

DESK = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"
runner = CliRunner()


def test_build_from_a_github_style_zip_gives_the_same_modules_as_the_folder(tmp_path: Path) -> None:
    archive = Path(shutil.make_archive(str(tmp_path / "support_desk"), "zip", DESK.parent, DESK.name))
    env = {"AGENTFORGE_HOME": str(tmp_path / "home")}
    from_zip = runner.invoke(app, ["build", str(archive), "-o", str(tmp_path / "from_zip")], env=env)
    assert from_zip.exit_code == 0, from_zip.output
    from_dir = runner.invoke(app, ["build", str(DESK), "-o", str(tmp_path / "from_dir")], env=env)
    assert from_dir.exit_code == 0, from_dir.output
    zipped, folder = load_manifest(tmp_path / "from_zip"), load_manifest(tmp_path / "from_dir")
    assert zipped.app_name == "support_desk"
    assert [s.id for s in zipped.specs] == [s.id for s in folder.specs] and len(zipped.specs) == 3
    assert (tmp_path / "from_zip" / "support_desk" / "assistant.py").read_text() == (
        tmp_path / "from_dir" / "support_desk" / "assistant.py"
    ).read_text()


def test_a_hostile_archive_is_refused_and_nothing_is_built(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("app.py", "def f():\n    return 'x'\n")
        zf.writestr("../../escaped.py", "x")
    env = {"AGENTFORGE_HOME": str(tmp_path / "home")}
    result = runner.invoke(app, ["build", str(archive), "-o", str(tmp_path / "out")], env=env)
    assert result.exit_code == 1
    assert "escapes the archive's folder" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "escaped.py").exists()
    scanned = runner.invoke(app, ["scan", str(tmp_path)], env=env)  # a folder still scans as before
    assert scanned.exit_code == 0, scanned.output

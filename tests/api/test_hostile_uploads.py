"""The hostile-archive corpus uploaded to a real `agentforge serve --workspaces` process with its default limits:
every archive is refused with its reason, the server stays healthy, its peak memory stays bounded (a 1 GB entry
of zeros and 100,000 tiny files included), and nothing is written outside the workspace's upload folder."""

from __future__ import annotations

import gzip
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agentforge.cli.main import app

from ..e2e.server import serve_args
from ..scan.test_archives import HOSTILE, _zeros_zip, _zip
from .test_service import SUPPORT_DESK, zip_of

PEAK_GROWTH_LIMIT = 64 << 20
"""Bytes the server's peak resident memory may grow by over the whole corpus (its archives declare > 1 GB)."""


def _peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) * 1024


def _spread_bomb(path: Path, tmp: Path) -> Path:
    """16 zips of 64 MB of zeros each (a few KB packed): 1 GB declared inside a small upload."""
    inner = _zeros_zip(tmp / "inner64.zip", "zeros.bin", 64 << 20).read_bytes()
    return _zip(path, {f"layer/{i}.zip": inner for i in range(16)}, zipfile.ZIP_STORED)


def _many_tiny_files(path: Path) -> Path:
    header = tarfile.TarInfo("f/0.txt")
    with gzip.open(path, "wb") as out:
        for i in range(100_000):
            header.name = f"f/{i}.txt"
            out.write(header.tobuf())
        out.write(bytes(1024))
    return path


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from /proc")
def test_the_hostile_corpus_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'server.db'}"
    created = CliRunner().invoke(app, ["keys", "create", "--workspace", "victim", "--store", store])
    key = created.output.strip().splitlines()[-1]
    corpus = {
        name: (make(tmp_path / f"{i}.upload", tmp_path), message)
        for i, (name, (make, message)) in enumerate(sorted(HOSTILE.items()))
    }
    corpus["100,000 tiny files"] = (_many_tiny_files(tmp_path / "many.tar.gz"), "more than 20000 entries")
    # the default limits are wider than the unit tests' (256 MB unpacked, 20,000 entries): bombs to match
    one_big = _zip(tmp_path / "nested.zip", {"layer/big.zip": corpus["1 GB of zeros"][0].read_bytes()})
    corpus["nested zip bomb"] = (one_big, "nested")
    corpus["nested bomb spread over small zips"] = (_spread_bomb(tmp_path / "spread.zip", tmp_path), "nested")
    many = {f"f{i}.txt": b"" for i in range(20_001)}
    corpus["too many files"] = (_zip(tmp_path / "many.zip", many), "more than 20000 entries")
    data = tmp_path / "data"
    args = ["--workspaces", "--store", store, "--data", str(data), "--backend", "openai", "--model", "none"]
    args += ["--backend-url", "http://127.0.0.1:9/v1"]
    with (
        serve_args(args, tmp_path / "serve.log") as (base, process),
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client,
    ):
        warm = client.post("/v1/workspaces/victim/apps", params={"name": "warm"}, content=zip_of(SUPPORT_DESK))
        assert _wait(client, warm.json()["id"])["state"] == "succeeded"
        before = _peak_rss(process.pid)
        for name, (archive, message) in corpus.items():
            sent = client.post("/v1/workspaces/victim/apps", params={"name": "upload"}, content=archive.read_bytes())
            if sent.status_code == 400:  # refused before a build starts: not an archive at all
                assert message in sent.json()["detail"]["message"], name
                continue
            assert sent.status_code == 202, (name, sent.text)
            build = _wait(client, sent.json()["id"])
            assert build["state"] == "failed" and message in build["error"], (name, build)
            assert client.get("/health").status_code == 200
        growth = _peak_rss(process.pid) - before
        assert [a["app_name"] for a in client.get("/v1/workspaces/victim/apps").json()] == ["warm"]
    assert growth < PEAK_GROWTH_LIMIT, f"peak memory grew by {growth >> 20} MB"
    assert not (data / "workspaces" / "victim" / "uploads").exists() or not any(
        (data / "workspaces" / "victim" / "uploads").iterdir()
    )
    assert sorted(p.name for p in data.iterdir()) == ["workspaces"]
    assert sorted(p.name for p in (data / "workspaces").iterdir()) == ["victim"]
    assert not list(tmp_path.rglob("evil.py")) and not Path("/tmp/evil.py").exists()
    print(f"peak RSS growth over {len(corpus)} hostile uploads: {growth / (1 << 20):.1f} MB")


def _wait(client: httpx.Client, build_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 300
    while True:
        build: dict[str, object] = client.get(f"/v1/workspaces/victim/builds/{build_id}").json()
        if build["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return build
        time.sleep(0.2)

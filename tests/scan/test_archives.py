"""The hostile-archive corpus: every archive is refused with a clear error, nothing is written outside the
destination, and the destination itself is removed; a normal repository archive unpacks as it was."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from agentforge.errors import ArchiveError
from agentforge.scan.archives import ArchiveLimits, unpack_archive

SMALL = ArchiveLimits(max_entries=1_000, max_total_bytes=4 << 20, max_file_bytes=2 << 20, ratio_floor_bytes=1 << 20)


def _zip(path: Path, entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def _tar(path: Path, build: Callable[[tarfile.TarFile], None]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        build(tf)
    return path


Member = tuple[tarfile.TarInfo, bytes]


def _member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), link
    return info, data


def _add(tf: tarfile.TarFile, *members: Member) -> None:
    for info, data in members:
        tf.addfile(info, io.BytesIO(data) if info.isreg() else None)


def _zeros_zip(path: Path, name: str, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w", force_zip64=True) as out:
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            out.write(chunk)
    return path


def _lying_zip(path: Path, tmp: Path) -> Path:
    """One entry of 3 MB whose local and central headers both claim 100 bytes."""
    _zip(path, {"app.py": bytes(3 << 20)})
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(signature)
        raw[at + offset : at + offset + 4] = struct.pack("<I", 100)
    path.write_bytes(bytes(raw))
    return path


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _nested_bomb(path: Path, tmp: Path) -> Path:
    inner = _zeros_zip(tmp / "inner.zip", "zeros.bin", 8 << 20).read_bytes()  # 8 MB declared, a few KB packed
    return _zip(path, {f"layer/{i}.zip": inner for i in range(16)}, zipfile.ZIP_STORED)


def _spread_bomb(path: Path, tmp: Path) -> Path:
    """Eight inner zips of 1 MB each: every one under the 4 MB limit, 8 MB declared in all."""
    inner = _zeros_zip(tmp / "inner.zip", "zeros.bin", 1 << 20).read_bytes()
    return _zip(path, {f"layer/{i}.zip": inner for i in range(8)}, zipfile.ZIP_STORED)


HOSTILE: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "zip slip": (lambda p, t: _zip(p, {"ok.py": b"x", "../evil.py": b"x"}), "escapes the archive's folder"),
    "deep zip slip": (lambda p, t: _zip(p, {"a/b/../../../evil.py": b"x"}), "escapes the archive's folder"),
    "absolute path": (lambda p, t: _zip(p, {"/etc/evil.py": b"x"}), "absolute path"),
    "drive letter": (lambda p, t: _zip(p, {"C:/evil.py": b"x"}), "absolute path"),
    "backslashes": (lambda p, t: _zip(p, {"..\\evil.py": b"x"}), "backslash"),
    "tar absolute": (lambda p, t: _tar(p, lambda tf: _add(tf, _member("/tmp/evil.py", data=b"x"))), "absolute path"),
    "tar symlink escape": (
        lambda p, t: _tar(
            p,
            lambda tf: _add(tf, _member("etc", tarfile.SYMTYPE, link="/etc"), _member("etc/passwd", data=b"root::0:0")),
        ),
        "links are not accepted",
    ),
    "tar hard link escape": (
        lambda p, t: _tar(p, lambda tf: _add(tf, _member("passwd", tarfile.LNKTYPE, link="/etc/passwd"))),
        "links are not accepted",
    ),
    "device file": (
        lambda p, t: _tar(p, lambda tf: _add(tf, _member("dev/sda", tarfile.BLKTYPE))),
        "device files",
    ),
    "nested zip bomb": (_nested_bomb, "nested"),
    "nested bomb spread over small zips": (_spread_bomb, "nested archives declaring"),
    "1 GB of zeros": (lambda p, t: _zeros_zip(p, "zeros.bin", 1 << 30), "larger than"),
    "too many files": (lambda p, t: _zip(p, {f"f{i}.txt": b"" for i in range(1_001)}), "more than 1000 entries"),
    "lying size header": (_lying_zip, "damaged"),
    "not an archive": (lambda p, t: _text(p, "#!/bin/sh\nrm -rf /\n"), "not a zip, tar or tar.gz"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused_and_leave_nothing(case: str, tmp_path: Path) -> None:
    make, message = HOSTILE[case]
    archive = make(tmp_path / "upload.bin", tmp_path)
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ArchiveError, match=message):
        unpack_archive(archive, sandbox / "repo", SMALL)
    assert sorted(tmp_path.rglob("*")) == before  # the destination is gone and nothing was written elsewhere
    assert not (tmp_path / "evil.py").exists() and not Path("/tmp/evil.py").exists()


def test_a_hundred_thousand_tiny_files_in_a_tar_stop_at_the_entry_limit(tmp_path: Path) -> None:
    header = tarfile.TarInfo("f/0.txt")
    archive = tmp_path / "many.tar.gz"
    with gzip.open(archive, "wb") as out:  # raw headers: 100,000 empty files without TarFile's per-member cost
        for i in range(100_000):
            header.name = f"f/{i}.txt"
            out.write(header.tobuf())
        out.write(bytes(1024))
    with pytest.raises(ArchiveError, match="more than 20000 entries"):
        unpack_archive(archive, tmp_path / "repo")
    assert not (tmp_path / "repo").exists()


def test_a_repository_archive_unpacks_as_it_was(tmp_path: Path) -> None:
    files = {"app/main.py": b"def f():\n    return 1\n", "README.md": b"# demo\n", "data/empty.txt": b""}
    zipped = _zip(tmp_path / "repo.zip", {"app/": b"", **files})
    tarred = _tar(tmp_path / "repo.tgz", lambda tf: _add(tf, *(_member(n, data=d) for n, d in files.items())))
    for archive in (zipped, tarred):
        unpacked = unpack_archive(archive, tmp_path / archive.name.replace(".", "_"))
        assert {str(p.relative_to(unpacked.root)): p.read_bytes() for p in unpacked.root.rglob("*") if p.is_file()} == (
            files
        )
        assert (unpacked.files, unpacked.bytes) == (3, sum(map(len, files.values())))

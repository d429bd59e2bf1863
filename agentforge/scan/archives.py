"""Unpack an uploaded repository archive (zip, tar, tar.gz) without trusting anything in it.

Every entry name is checked before anything is written (no absolute paths, drive letters, `..` or backslash
tricks), links and device files are refused (nothing but regular files and folders is ever created), and the
limits count the bytes actually decompressed, never the sizes the headers claim: a lying header or a bomb is
stopped at the limit, not after it. Archives inside the archive are never unpacked, but a zip whose own
directory declares more than the limits allow is refused as a nested bomb. On any refusal the destination
folder is removed, so nothing of a refused upload stays on disk. Nothing unpacked is ever imported or run."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from agentforge.errors import ArchiveError

CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ArchiveLimits:
    """Hard limits on one upload; the defaults fit a prototype's source tree with its data files."""

    max_entries: int = 20_000
    max_total_bytes: int = 256 << 20
    """Unpacked bytes in all (what is really decompressed)."""
    max_file_bytes: int = 64 << 20
    max_ratio: float = 200.0
    """Most unpacked bytes per packed byte, once more than `ratio_floor_bytes` are unpacked."""
    ratio_floor_bytes: int = 8 << 20
    max_path_parts: int = 64
    max_nesting: int = 3
    """How deep a zip inside the archive is inspected (its directory only) for a nested bomb."""


@dataclass(frozen=True)
class Unpacked:
    root: Path
    files: int
    bytes: int


def _safe_name(name: str, limits: ArchiveLimits) -> PurePosixPath | None:
    """The entry's path relative to the destination; None for the archive's own root entry."""
    if "\x00" in name:
        raise ArchiveError(f"entry name with a NUL byte: {name!r}")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise ArchiveError(f"absolute path in the archive: {name!r}")
    if "\\" in name:
        raise ArchiveError(f"backslash in an entry name (a Windows path trick?): {name!r}")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"entry escapes the archive's folder: {name!r}")
    if len(parts) > limits.max_path_parts:
        raise ArchiveError(f"entry nested deeper than {limits.max_path_parts} folders: {name[:120]!r}")
    return PurePosixPath(*parts) if parts else None


class _Budget:
    """Counts entries and the bytes actually written, against the limits."""

    def __init__(self, limits: ArchiveLimits, packed_bytes: int) -> None:
        self.limits = limits
        self.packed = max(packed_bytes, 1)
        self.entries = 0
        self.files = 0
        self.total = 0
        self.nested = 0
        """Bytes the nested zips' directories declare, in all."""

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise ArchiveError(f"more than {self.limits.max_entries} entries in the archive")

    def grow(self, name: str, file_bytes: int, added: int, entry_packed: int | None) -> None:
        self.total += added
        limits = self.limits
        if file_bytes > limits.max_file_bytes:
            raise ArchiveError(f"{name}: larger than {limits.max_file_bytes} bytes unpacked")
        if self.total > limits.max_total_bytes:
            raise ArchiveError(f"the archive unpacks to more than {limits.max_total_bytes} bytes")
        if self.total > limits.ratio_floor_bytes and self.total > limits.max_ratio * self.packed:
            raise ArchiveError(f"the archive expands more than {limits.max_ratio:.0f} times (a compression bomb?)")
        if entry_packed is not None and file_bytes > limits.ratio_floor_bytes + limits.max_ratio * entry_packed:
            raise ArchiveError(f"{name}: expands more than {limits.max_ratio:.0f} times (a compression bomb?)")


def _target(dest: Path, rel: PurePosixPath) -> Path:
    """Where the entry goes, its folders made; checked to resolve inside `dest` (names are checked already and
    no link is ever created, so this is a second line of defence)."""
    target = dest.joinpath(*rel.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(dest.resolve()):
        raise ArchiveError(f"entry escapes the archive's folder: {rel}")
    return target


def _write(source: IO[bytes], dest: Path, rel: PurePosixPath, budget: _Budget, entry_packed: int | None) -> None:
    target = _target(dest, rel)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o644)
    except FileExistsError as exc:
        raise ArchiveError(f"entry appears twice in the archive: {rel}") from exc
    written = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            budget.grow(str(rel), written, len(chunk), entry_packed)
            out.write(chunk)
    budget.files += 1


def _zip_declared(data: IO[bytes], depth: int, limits: ArchiveLimits) -> int:
    """Bytes a zip's directory declares, nested zips included (by their directories alone, never unpacked)."""
    try:
        with zipfile.ZipFile(data) as inner:
            infos = inner.infolist()
            if len(infos) > limits.max_entries:
                return limits.max_total_bytes + 1
            total = sum(info.file_size for info in infos)
            if depth < limits.max_nesting:
                for info in infos:
                    if total > limits.max_total_bytes:
                        break
                    if info.file_size <= limits.max_file_bytes and info.filename.lower().endswith(".zip"):
                        with inner.open(info) as nested:
                            total += _zip_declared(io.BytesIO(nested.read()), depth + 1, limits)
            return total
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError):
        return 0  # not a readable zip: it stays an ordinary file


def _check_nested(path: Path, rel: PurePosixPath, budget: _Budget) -> None:
    """A zip inside counts what its directory declares, summed over every nested zip of the upload, so a bomb
    spread over many small inner zips is refused as surely as one big one."""
    limits = budget.limits
    with path.open("rb") as data:
        if data.read(4) not in _ZIP_MAGIC:
            return
        data.seek(0)
        declared = _zip_declared(data, 1, limits)
    budget.nested += declared
    if declared > limits.max_total_bytes or budget.nested > limits.max_total_bytes:
        raise ArchiveError(f"{rel}: nested archives declaring {budget.nested} bytes in all (a nested zip bomb?)")


def _unpack_zip(archive: Path, dest: Path, budget: _Budget) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > budget.limits.max_entries:
            raise ArchiveError(f"more than {budget.limits.max_entries} entries in the archive")
        for info in infos:
            budget.entry()
            rel = _safe_name(info.filename, budget.limits)
            mode = info.external_attr >> 16
            if rel is None:
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError(f"{rel}: encrypted entries are not accepted")
            if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise ArchiveError(f"{rel}: links and device files are not accepted")
            if info.is_dir():
                _target(dest, rel).mkdir(exist_ok=True)
                continue
            with zf.open(info) as source:
                _write(source, dest, rel, budget, max(info.compress_size, 1))
            _check_nested(dest.joinpath(*rel.parts), rel, budget)


def _unpack_tar(archive: Path, dest: Path, budget: _Budget) -> None:
    with tarfile.open(archive, mode="r|*") as tf:  # a stream: entries are read once, in order
        for member in tf:
            budget.entry()
            rel = _safe_name(member.name, budget.limits)
            if member.issym() or member.islnk():
                raise ArchiveError(f"{member.name}: links are not accepted (one to {member.linkname!r})")
            if not (member.isreg() or member.isdir()):
                raise ArchiveError(f"{member.name}: device files, fifos and other special entries are not accepted")
            if rel is None:
                continue
            if member.isdir():
                _target(dest, rel).mkdir(exist_ok=True)
                continue
            source = tf.extractfile(member)
            if source is None:
                raise ArchiveError(f"{member.name}: unreadable entry")
            with source:
                _write(source, dest, rel, budget, None)
            _check_nested(dest.joinpath(*rel.parts), rel, budget)


def archive_kind(archive: Path) -> str:
    """`zip` or `tar` (plain or compressed) from the first bytes; `ArchiveError` for anything else."""
    with archive.open("rb") as data:
        head = data.read(512)
    if head[:4] in _ZIP_MAGIC:
        return "zip"
    if head[:2] == _GZIP_MAGIC or head[257:262] == b"ustar":
        return "tar"
    raise ArchiveError("not a zip, tar or tar.gz archive")


@contextmanager
def _removed_on_error(dest: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def unpack_archive(archive: Path, dest: Path, limits: ArchiveLimits | None = None) -> Unpacked:
    """Unpack `archive` into `dest` (created; it must not exist), within `limits`; `ArchiveError` on any refusal,
    with `dest` removed. A corrupt archive is refused the same way."""
    limits = limits or ArchiveLimits()
    kind = archive_kind(archive)
    dest.mkdir(parents=True)
    budget = _Budget(limits, archive.stat().st_size)
    with _removed_on_error(dest):
        try:
            (_unpack_zip if kind == "zip" else _unpack_tar)(archive, dest, budget)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise ArchiveError(f"a damaged or unreadable archive: {exc}") from exc
    return Unpacked(root=dest, files=budget.files, bytes=budget.total)


def project_root(folder: Path) -> Path:
    """The prototype inside an unpacked archive: its one top folder when it has only that (a GitHub download)."""
    entries = list(folder.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder

"""File discovery: which files of an uploaded repository are product code worth reading.

Discovery never follows a link: uploads are untrusted, and a link out of the root could expose the host.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentforge.artifacts import ScanWarning
from agentforge.scan.extractor import FileStat, SourceFile

SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        "venv",
        "env",
        "__pycache__",
        "__pypackages__",
        "build",
        "dist",
        "site-packages",
    }
)
"""Vendored, generated or environment folders: code the prototype's author did not write."""

MINIFIED_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
MAX_LINE_CHARS = 5_000
"""A script or type file with a longer line is minified or generated output, not code someone wrote."""

BINARY_PROBE_BYTES = 8_192
"""A NUL byte this early means a binary file, whatever its name says."""

TEST_DIRS = frozenset({"tests", "test", "__tests__"})
"""Test code pins the prototype's behaviour; its fakes are fixtures, not modules to bring to life."""


@dataclass(frozen=True, slots=True)
class _Pattern:
    glob: str
    anchored: bool
    dir_only: bool


class GitIgnore:
    """The root `.gitignore`, read simply: globs, `dir/` patterns and `/anchored` paths; no negation."""

    def __init__(self, patterns: list[_Pattern]) -> None:
        self._patterns = patterns

    @classmethod
    def parse(cls, text: str) -> GitIgnore:
        patterns: list[_Pattern] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", "!")):
                continue
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if line.startswith("**/"):
                line = line[3:]
            anchored = "/" in line
            if line:
                patterns.append(_Pattern(line.lstrip("/"), anchored, dir_only))
        return cls(patterns)

    @classmethod
    def load(cls, root: Path) -> GitIgnore:
        try:
            return cls.parse((root / ".gitignore").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return cls([])

    def ignores(self, rel: str, *, is_dir: bool) -> bool:
        """Whether `rel` itself matches; callers prune ignored folders, so ancestors need no check."""
        name = rel.rsplit("/", 1)[-1]
        for p in self._patterns:
            if p.dir_only and not is_dir:
                continue
            if fnmatch.fnmatchcase(rel if p.anchored else name, p.glob):
                return True
        return False


@dataclass(slots=True)
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)


def _skip_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS or name in TEST_DIRS


VIRTUALENV_MARKER = "pyvenv.cfg"
"""A virtual environment under any name is recognised by the file every one of them holds."""


def discover(
    root: Path, *, wanted: Callable[[str], bool], max_file_bytes: int, known: Mapping[str, FileStat] | None = None
) -> Discovery:
    """Read every wanted file under `root` (already resolved), in a stable order: each folder's files by name,
    then its subfolders by name, depth first.

    `wanted` sees a relative POSIX path and decides before any byte is read, so large unrelated files
    (images, archives) cost nothing and draw no warning. A file whose stat equals its entry in `known` (files
    an earlier scan read and accepted) is accepted again unread; its bytes are read only if someone asks.
    Folders are listed with `os.scandir`, whose entries say from the listing itself whether each is a folder
    or a link: a rescan of a large tree is mostly this walk, and a `stat` per folder was half of it.
    """
    ignore = GitIgnore.load(root)
    found = Discovery()
    known = known or {}
    pending: list[tuple[str, str, list[os.DirEntry[str]]]] = []
    top = _listing(str(root))
    if top is not None:
        pending.append((str(root), "", top))
    while pending:
        _, prefix, entries = pending.pop()
        folders: list[tuple[str, str, list[os.DirEntry[str]]]] = []
        for entry in entries:
            rel = prefix + entry.name
            if not _is_folder(entry):
                if not ignore.ignores(rel, is_dir=False) and wanted(rel):
                    _read(entry.path, rel, root, max_file_bytes, found, known)
                continue
            if _skip_dir(entry.name) or ignore.ignores(rel, is_dir=True):
                continue
            if entry.is_symlink():
                _outside(Path(entry.path), rel, root, found)
                continue
            inner = _listing(entry.path)
            if inner is not None and not any(e.name == VIRTUALENV_MARKER and _is_file(e) for e in inner):
                folders.append((entry.path, rel + "/", inner))
        pending.extend(reversed(folders))
    return found


def _listing(path: str) -> list[os.DirEntry[str]] | None:
    """A folder's entries by name; None when it cannot be listed (skipped silently, as `os.walk` does)."""
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return None


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one (reported, never followed)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _read(
    path: str, rel: str, root: Path, max_file_bytes: int, found: Discovery, known: Mapping[str, FileStat]
) -> None:
    """`path` is a plain string: a `Path` per file cost a third of discovery's time."""
    try:
        info = os.lstat(path)  # one call answers both "a link?" and "how big?"
    except OSError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        _outside(Path(path), rel, root, found)
        return
    try:
        size = info.st_size if info is not None else os.stat(path).st_size
        if size > max_file_bytes:
            message = f"skipped: {size} bytes is over the {max_file_bytes}-byte limit"
            found.warnings.append(ScanWarning(path=rel, message=message))
            return
        seen = _stat_of(info) if info is not None else None
        if seen is not None and known.get(rel) == seen:
            found.files.append(SourceFile(rel, path=path, stat=seen))
            return
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as exc:
        found.warnings.append(ScanWarning(path=rel, message=f"could not be read: {exc.strerror or exc}"))
        return
    reason = _unreadable_as_code(rel, source)
    if reason is not None:
        found.warnings.append(ScanWarning(path=rel, message=f"skipped: {reason}"))
        return
    found.files.append(SourceFile(rel, source, stat=seen))


def _stat_of(info: os.stat_result) -> FileStat:
    """Any write moves `ctime_ns`, which no tool can set back, so an edit that restores size and mtime still
    shows; a new inode catches a file replaced by another."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def _unreadable_as_code(rel: str, source: bytes) -> str | None:
    """Why `source` is not worth parsing even though its name says it is code; None when it is."""
    if b"\0" in source[:BINARY_PROBE_BYTES]:
        return "binary content (NUL byte in the first 8 KB)"
    if rel.endswith(MINIFIED_SUFFIXES) and _may_have_long_line(source):
        longest = max(map(len, source.split(b"\n")))
        if longest > MAX_LINE_CHARS:
            return f"minified or generated (a {longest}-character line; the limit is {MAX_LINE_CHARS})"
    return None


def _may_have_long_line(source: bytes) -> bool:
    """False when no line can be over `MAX_LINE_CHARS`: such a line would hold a whole window of half that
    size with no newline, and probing one newline per window is far cheaper than splitting every line."""
    step = MAX_LINE_CHARS // 2
    return len(source) > MAX_LINE_CHARS and any(
        source.find(b"\n", k, k + step) < 0 for k in range(0, len(source), step)
    )


def _outside(link: Path, rel: str, root: Path, found: Discovery) -> None:
    """Links are never followed: one inside the root is read under its target's own path, and one leaving
    the root is reported so the user knows what was left out."""
    try:
        inside = link.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop: Python 3.11 raises RuntimeError, later ones OSError
        found.warnings.append(ScanWarning(path=rel, message="symlink loop; not read"))
        return
    if not inside:
        found.warnings.append(ScanWarning(path=rel, message="symlink points outside the root; not read"))

"""Scan benchmark on a real corpus: raw tree-sitter parse vs full scan, cold scan vs incremental rescan.

    python bench/scan.py [--py-mb 50] [--js-mb 10]

The corpus is copied from the installed packages (the venv's site-packages for Python; site-packages and
node's global module folders for JS/TS) into a temporary folder. When those hold fewer JS/TS bytes than
`--js-mb`, a pinned set of real npm packages (`NPM_PACKAGES`, exact versions) is installed once into a
persistent cache folder (`--npm-cache`, reused by later runs; install scripts never run) and copied from
there. Timings are the best of 3 runs (the machine may be shared), each after a garbage collection; an
incremental run is a rescan after a fresh one-line edit of the same stub file (a new edit before each run):
a line appended to the median-sized and to the largest file with stubs, and a line inside a method of the
largest one's first class (the edit a developer makes most).
Throughputs are measured on exactly the bytes the scanner's discovery reads (test folders, oversized, binary
and minified files are left out the same way for both). A full scan runs as the product runs it, split across
the usable CPUs (`scan/parallel.py`; the raw parse it is compared with runs in one), and once more in one
process, so both ratios come from the same run; the incremental rescans are compared with both too.

Each language's raw parse and full scans run in a fresh interpreter (`--measure`), as `agentforge scan`
does: a process that has just scanned 50 MB holds a large, fragmented heap that makes every fork and
allocation after it slower (the JS scan 5% so), and which language is measured first would decide whose
figure pays for it. The incremental rescans run in this process, as an editor's long-lived server would.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_typescript
from tree_sitter import Language, Parser, Tree

import agentforge.scan.cache as cache_module
from agentforge.scan import scan_repo
from agentforge.scan.parallel import worker_count
from agentforge.scan.registry import Registry
from agentforge.scan.walk import (
    BINARY_PROBE_BYTES,
    MAX_LINE_CHARS,
    MINIFIED_SUFFIXES,
    SKIPPED_DIRS,
    TEST_DIRS,
    discover,
)

MAX_FILE_BYTES = 1_000_000
NPM_PACKAGES = ("rxjs@7.8.2", "lodash@4.17.21", "ramda@0.29.1", "three@0.160.0", "date-fns@3.6.0")
"""Hand-written JS/TS in many mid-sized files (TypeScript sources first), in the order the corpus is
filled from them; exact versions, so every machine measures the same code."""
DEFAULT_NPM_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agentforge" / "bench-npm"
REPEAT = 3
GRAMMARS = {
    ".py": Language(tree_sitter_python.language()),
    ".js": Language(tree_sitter_javascript.language()),
    ".jsx": Language(tree_sitter_javascript.language()),
    ".mjs": Language(tree_sitter_javascript.language()),
    ".cjs": Language(tree_sitter_javascript.language()),
    ".ts": Language(tree_sitter_typescript.language_typescript()),
    ".tsx": Language(tree_sitter_typescript.language_tsx()),
}


def _node_roots() -> list[Path]:
    roots = [Path("/usr/lib/node_modules"), Path("/usr/local/lib/node_modules")]
    try:
        out = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, timeout=30, check=False)
        if out.stdout.strip():
            roots.append(Path(out.stdout.strip()))
    except (OSError, subprocess.SubprocessError):
        pass
    return list(dict.fromkeys(r for r in roots if r.is_dir()))


def npm_sources(cache: Path) -> tuple[list[Path], str]:
    """The pinned packages' folders under `cache` (installed there first when any is missing or at another
    version), and how they were obtained; no folders when npm is unavailable or the install fails."""
    folders = [cache / "node_modules" / spec.rpartition("@")[0] for spec in NPM_PACKAGES]
    if all(_version(f) == spec.rpartition("@")[2] for f, spec in zip(folders, NPM_PACKAGES, strict=True)):
        return folders, "reused"
    cache.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(cache)]
    try:
        done = subprocess.run([*command, *NPM_PACKAGES], capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"npm unavailable ({exc})"
    if done.returncode != 0:
        return [], f"npm install failed ({(done.stderr.strip().splitlines() or ['no message'])[-1]})"
    return [f for f in folders if f.is_dir()], "installed now"


def _version(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _candidates(base: Path, suffixes: tuple[str, ...]) -> Iterator[tuple[Path, str]]:
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(suffixes):
                path = Path(dirpath) / name
                yield path, path.relative_to(base).as_posix()


def _scannable(rel: str) -> bool:
    """Mirror discovery's folder rules so the byte cap counts bytes the scan will actually read."""
    parts = rel.split("/")
    return not any(p.startswith(".") or p in SKIPPED_DIRS or p in TEST_DIRS for p in parts[:-1])


def build_corpus(
    dest: Path, sources: list[Path], suffixes: tuple[str, ...], cap: int, wanted: Callable[[str], bool]
) -> int:
    """Copy files from `sources` into `dest` until `cap` bytes; only files discovery will read count."""
    copied = 0
    for i, base in enumerate(sources):
        for path, rel in _candidates(base, suffixes):
            if copied >= cap:
                return copied
            rel = f"src{i}/" + rel.replace("node_modules/", "nm/")
            if not _scannable(rel) or not wanted(rel):
                continue
            try:
                size = path.stat().st_size
                if path.is_symlink() or size > MAX_FILE_BYTES:
                    continue
                source = path.read_bytes()
                if b"\0" in source[:BINARY_PROBE_BYTES] or (
                    rel.endswith(MINIFIED_SUFFIXES) and max(map(len, source.split(b"\n"))) > MAX_LINE_CHARS
                ):
                    continue  # binary or minified: discovery skips it, so it must not count towards the cap
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source)
                copied += size
            except OSError:
                continue
    return copied


def raw_parse_seconds(root: Path, wanted: Callable[[str], bool]) -> tuple[float, int, int]:
    """Parse-only time for exactly the files discovery reads: (seconds, bytes, files)."""
    found = discover(root.resolve(), wanted=wanted, max_file_bytes=MAX_FILE_BYTES)
    parsers = {suffix: Parser(lang) for suffix, lang in GRAMMARS.items()}

    def parse_all() -> None:
        for f in found.files:
            parsers[Path(f.rel).suffix].parse(f.source)

    seconds, _ = timed(parse_all, REPEAT)
    return seconds, sum(len(f.source) for f in found.files), len(found.files)


WHERE = {
    "median": "a line appended to the median-sized stub file",
    "largest": "a line appended to the largest stub file",
    "method": "a line inside a method of the largest stub file",
}


def _in_a_method(source: bytes, line: str) -> bytes:
    """`source` with `line` (a comment) as the first line of its first class's first method's body, or at its end
    when it has no method: the edit a developer makes most, inside a method of the file's main class."""
    tree = Parser(GRAMMARS[".py"]).parse(source)
    for node in tree.root_node.named_children:
        inner = node.child_by_field_name("definition") if node.type == "decorated_definition" else node
        body = inner.child_by_field_name("body") if inner is not None and inner.type == "class_definition" else None
        for stmt in body.named_children if body is not None else []:
            method = stmt.child_by_field_name("definition") if stmt.type == "decorated_definition" else stmt
            block = (
                method.child_by_field_name("body")
                if method is not None and method.type == "function_definition"
                else None
            )
            if method is not None and block is not None and block.start_point.row > method.start_point.row:
                start = source.rfind(b"\n", 0, block.start_byte) + 1
                indent = b" " * block.start_point.column
                return source[:start] + indent + line.encode() + b"\n" + source[start:]
    return source + f"\n{line}\n".encode()


def timed(fn: Callable[[], Any], repeat: int = 1, before: Callable[[], None] | None = None) -> tuple[float, Any]:
    """The best of `repeat` runs: the machine is shared, so the minimum is the least noisy figure. `before`
    (untimed) prepares each run; the collector runs before each, so no run pays for an earlier one's garbage."""
    best, value = float("inf"), None
    for _ in range(repeat):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


JS_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx")


def _wanted(language: str) -> Callable[[str], bool]:
    registry = Registry()
    suffixes = (".py",) if language == "py" else JS_SUFFIXES
    return lambda rel: rel.endswith(suffixes) and registry.wants(rel)


def measure_full(language: str, root: Path) -> dict[str, Any]:
    """One language's raw parse and full scans (split, then in one process), in this fresh process."""
    parse_s, nbytes, nfiles = raw_parse_seconds(root, _wanted(language))
    scan_s, result = timed(lambda: scan_repo(root, max_file_bytes=MAX_FILE_BYTES), REPEAT)
    alone_s, alone = timed(lambda: scan_repo(root, max_file_bytes=MAX_FILE_BYTES, workers=1), REPEAT)
    raw_tp, scan_tp = nbytes / parse_s / 1e6 if parse_s else 0.0, nbytes / scan_s / 1e6
    return {
        "files": nfiles,
        "mb": round(nbytes / 1e6, 2),
        "raw_parse_s": round(parse_s, 3),
        "raw_parse_mb_s": round(raw_tp, 2),
        "scan_s": round(scan_s, 3),
        "scan_mb_s": round(scan_tp, 2),
        "scan_over_parse": round(scan_tp / raw_tp, 3) if raw_tp else None,
        "workers": worker_count(None),
        "one_process_scan_s": round(alone_s, 3),
        "one_process_over_parse": round(parse_s / alone_s, 3),
        "one_process_equals_split": alone == result,
        "modules": len(result.modules),
        "warnings": len(result.warnings),
    }


def _fresh(language: str, root: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", language, str(root)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"measuring the {language} scan failed:\n{out.stderr[-4000:]}")
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure_full(sys.argv[2], Path(sys.argv[3]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--py-mb", type=float, default=50.0, help="Python bytes to copy (MB); default 50")
    ap.add_argument("--js-mb", type=float, default=10.0, help="JS/TS bytes to copy (MB); default 10")
    ap.add_argument(
        "--npm-cache", type=Path, default=DEFAULT_NPM_CACHE, help=f"pinned npm packages' folder; {DEFAULT_NPM_CACHE}"
    )
    args = ap.parse_args()
    site = Path(sysconfig.get_paths()["purelib"])
    node = _node_roots()
    figures: dict[str, Any] = {"cpus": os.cpu_count(), "site_packages": str(site), "node_roots": [str(n) for n in node]}
    with tempfile.TemporaryDirectory(prefix="agentforge-bench-") as tmp:
        work = Path(tmp)
        py_root, js_root, cache = work / "py", work / "js", work / "cache"
        is_py, is_js = _wanted("py"), _wanted("js")
        js_suffixes = JS_SUFFIXES
        py_root.mkdir()
        js_root.mkdir()
        copied_py = build_corpus(py_root, [site], (".py",), int(args.py_mb * 1e6), is_py)
        js_cap = int(args.js_mb * 1e6)
        copied_js = build_corpus(js_root, [site, *node], js_suffixes, js_cap, is_js)
        print(f"corpus: {copied_py / 1e6:.1f} MB of .py from {site}")
        print(
            f"corpus: {copied_js / 1e6:.1f} MB of .js/.ts from {site} and {', '.join(map(str, node)) or 'no node lib'}"
        )
        copied_npm, npm_how = 0, "not needed"
        if copied_js < js_cap:
            folders, npm_how = npm_sources(args.npm_cache)
            copied_npm = build_corpus(js_root / "npm", folders, js_suffixes, js_cap - copied_js, is_js)
            print(
                f"corpus: {copied_npm / 1e6:.1f} MB of .js/.ts from pinned npm packages {' '.join(NPM_PACKAGES)} "
                f"in {args.npm_cache} ({npm_how})"
            )
            if copied_js + copied_npm < js_cap:
                print(f"corpus: only {(copied_js + copied_npm) / 1e6:.1f} MB of JS/TS (wanted {args.js_mb:g} MB)")
        figures["npm"] = {"cache": str(args.npm_cache), "packages": list(NPM_PACKAGES), "how": npm_how}
        figures["npm"]["mb"] = round(copied_npm / 1e6, 2)

        for name, root in (("py", py_root), ("js", js_root)):
            figures[name] = got = _fresh(name, root)
            print(
                f"{name}: {got['files']} files, {got['mb']:.1f} MB; raw parse {got['raw_parse_mb_s']:.2f} MB/s, "
                f"full scan {got['scan_mb_s']:.2f} MB/s in {got['workers']} processes; "
                f"scan/parse = {got['scan_over_parse']} (target >= 0.6); in one process "
                f"{got['one_process_over_parse']} (same result: {got['one_process_equals_split']})"
            )

        full_s, alone_full_s = figures["py"]["scan_s"], figures["py"]["one_process_scan_s"]
        cold_s, cold = timed(lambda: scan_repo(py_root, max_file_bytes=MAX_FILE_BYTES, cache_dir=cache))
        noop_s, noop = timed(lambda: scan_repo(py_root, max_file_bytes=MAX_FILE_BYTES, cache_dir=cache))
        stub_files = sorted({m.path for m in cold.modules}, key=lambda rel: ((py_root / rel).stat().st_size, rel))
        if not stub_files:
            stub_files = sorted(p.relative_to(py_root).as_posix() for p in py_root.rglob("*.py"))
        figures["incremental"] = {
            "full_scan_s": full_s,
            "cold_cached_scan_s": round(cold_s, 3),
            "unchanged_rescan_s": round(noop_s, 3),
            "cold_equals_unchanged": cold == noop,
        }
        real_parse = cache_module._parse
        cases = (("median", stub_files[len(stub_files) // 2]), ("largest", stub_files[-1]), ("method", stub_files[-1]))
        for label, edited in cases:
            reparsed: list[bytes] = []

            def edit(
                edited: str = edited,
                reparsed: list[bytes] = reparsed,
                edits: Iterator[int] = iter(range(REPEAT)),
                inside: bool = label == "method",
            ) -> None:
                path = py_root / edited
                line = f"# bench edit {next(edits)}"
                path.write_bytes(
                    _in_a_method(path.read_bytes(), line) if inside else path.read_bytes() + f"\n{line}\n".encode()
                )
                reparsed.clear()

            def counting(parser: Parser, source: bytes, reparsed: list[bytes] = reparsed) -> Tree:
                reparsed.append(source)
                return real_parse(parser, source)

            cache_module._parse = counting
            inc_s, inc = timed(lambda: scan_repo(py_root, max_file_bytes=MAX_FILE_BYTES, cache_dir=cache), REPEAT, edit)
            cache_module._parse = real_parse
            figures["incremental"][f"edit_{label}"] = {
                "file": edited,
                "file_bytes": (py_root / edited).stat().st_size,
                "rescan_s": round(inc_s, 3),
                "files_reparsed": len(reparsed),
                "bytes_reparsed": sum(map(len, reparsed)),
                "full_over_incremental": round(full_s / inc_s, 1),
                "one_process_full_over_incremental": round(alone_full_s / inc_s, 1),
            }
            print(
                f"incremental ({WHERE[label]} {edited}, {(py_root / edited).stat().st_size} bytes): "
                f"best of {REPEAT} edits {inc_s:.2f}s, {len(reparsed)} files parsed; "
                f"full/incremental = {full_s / inc_s:.1f}x (target >= 20x); "
                f"one-process full/incremental = {alone_full_s / inc_s:.1f}x"
            )
        check = scan_repo(py_root, max_file_bytes=MAX_FILE_BYTES)
        figures["incremental"]["incremental_equals_cold"] = check == inc
        print(
            f"incremental: full {full_s:.2f}s, cold with cache {cold_s:.2f}s, unchanged rescan {noop_s:.2f}s; "
            f"last incremental result equals an uncached scan: {check == inc}"
        )
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()

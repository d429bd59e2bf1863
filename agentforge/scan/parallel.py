"""A full scan split across processes, for repositories large enough to pay for them.

tree-sitter holds the GIL while it parses and judging is pure Python, so threads gain nothing; processes
do. No tree can cross a process boundary, so a full scan is built in three steps that pass only plain data:

1. each process parses its share of every language's files (a contiguous run, split by bytes) and returns
   their index facts (class, constant and declaration names, as the scan cache stores them);
2. given every file's facts, each judges its own files against a lazy index, as an incremental rescan
   does, and returns their entries with what delegation and call linking need (`split.py`);
3. this process settles delegation and links calls from that data alone (`split.finish`).

The result equals a one-process scan's. Trouble with a worker (it cannot start, dies, or raises) costs only
speed: the scan then runs in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol

from agentforge.artifacts import ModuleSpec
from agentforge.scan.cache import Entry, Pipeline
from agentforge.scan.extractor import SourceFile
from agentforge.scan.split import Judgement, finish

SHARE_MIN_BYTES = 250_000
"""The least source one process is given: below it, starting the process costs more than it saves."""
MAX_WORKERS = 8
WORKERS_ENV = "AGENTFORGE_SCAN_WORKERS"

Facts = dict[str, dict[str, Any]]


class SplitPipeline(Pipeline, Protocol):
    """A pipeline whose full scan can be run in the three steps above."""

    def index(self, files: Sequence[SourceFile], own: Sequence[str]) -> Facts:
        """Parse the `own` files (kept for the next steps) and return their index facts."""
        ...

    def judge(self, files: Sequence[SourceFile], facts: Mapping[str, dict[str, Any]], own: Sequence[str]) -> Judgement:
        """The `own` files judged against every file's facts (step 2)."""
        ...

    @staticmethod
    def resolve(ref: Any, by_id: dict[str, ModuleSpec], by_name: dict[str, list[str]]) -> str | None:
        """The stub a call ref of this language reaches (see `split.Resolve`)."""
        ...


def worker_count(requested: int | None) -> int:
    """How many processes a scan may use: as asked, else `AGENTFORGE_SCAN_WORKERS`, else the usable CPUs."""
    if requested is None:
        env = os.environ.get(WORKERS_ENV, "").strip()
        requested = int(env) if env.isdigit() else len(os.sched_getaffinity(0))
    return max(1, min(requested, MAX_WORKERS))


SplitJob = tuple[SplitPipeline, Callable[[], SplitPipeline], Sequence[SourceFile]]
"""One language's full scan: its pipeline, how a worker builds the same one, its files."""


def full_scans(jobs: Sequence[SplitJob], workers: int) -> list[dict[str, Entry]]:
    """Each job's full scan, split across up to `workers` processes (with `SHARE_MIN_BYTES` at least each);
    every process takes a share of every language, so a small one rides along with a large one."""
    total = sum(len(f.source) for _, _, files in jobs for f in files)
    count = min(workers, max((len(files) for _, _, files in jobs), default=0), total // max(SHARE_MIN_BYTES, 1))
    if count >= 2:
        done = split_full(jobs, count)
        if done is not None:
            return done
    return [pipeline.full(files) for pipeline, _, files in jobs]


def _shares(files: Sequence[SourceFile], count: int) -> list[list[str]]:
    """`count` contiguous runs of `files` of about equal bytes (judging time follows bytes); some may be empty."""
    total = sum(len(f.source) for f in files)
    shares: list[list[str]] = [[] for _ in range(count)]
    done = 0
    for f in files:
        shares[min(count - 1, done * count // max(total, 1))].append(f.rel)
        done += len(f.source)
    return shares


def _other_threads() -> int:
    return threading.active_count() - 1


class _WorkerFailed(Exception):
    pass


def split_full(jobs: Sequence[SplitJob], count: int) -> list[dict[str, Entry]] | None:
    """The full scans in three steps, this process taking the first share of each; None when the workers
    could not run or one failed.

    Workers are forked: they inherit the files and need nothing imported or sent, and no main module is run
    again (as spawning would). A process running other threads (a server's request pool) is not forked,
    since a lock another thread holds would stay held in the child forever; it scans in one process."""
    if _other_threads() or "fork" not in multiprocessing.get_all_start_methods():
        return None
    shares = [_shares(files, count) for _, _, files in jobs]
    context = multiprocessing.get_context("fork")
    started: list[tuple[Any, Connection]] = []
    try:
        for w in range(1, count):
            here, there = context.Pipe()
            work = [(factory, files, shares[j][w]) for j, (_, factory, files) in enumerate(jobs)]
            process = context.Process(target=_serve, args=(there, work), daemon=True, name="agentforge-scan")
            process.start()
            there.close()
            started.append((process, here))
        facts = [pipeline.index(files, shares[j][0]) for j, (pipeline, _, files) in enumerate(jobs)]
        for _, conn in started:
            for j, theirs in enumerate(_receive(conn)):
                facts[j].update(theirs)
        ordered = [{f.rel: facts[j][f.rel] for f in files} for j, (_, _, files) in enumerate(jobs)]
        for _, conn in started:
            conn.send(ordered)
        done = [pipeline.judge(files, ordered[j], shares[j][0]) for j, (pipeline, _, files) in enumerate(jobs)]
        for _, conn in started:
            for j, judged in enumerate(_receive(conn)):
                done[j].merge(judged)
    except (OSError, EOFError, ValueError, pickle.PickleError, RecursionError, _WorkerFailed):
        return None  # a spec built ahead of its promotion may hit the limit one never promoted would not
    finally:
        for process, conn in started:
            conn.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    return [finish(files, done[j], pipeline.resolve) for j, (pipeline, _, files) in enumerate(jobs)]


def _receive(conn: Connection) -> Any:
    status, value = conn.recv()
    if status != "ok":
        raise _WorkerFailed(value)
    return value


def _serve(conn: Connection, work: list[tuple[Callable[[], SplitPipeline], Sequence[SourceFile], list[str]]]) -> None:
    """A worker: steps 1 and 2 for its share of each language, answering ("ok", values) or ("error", why)."""
    try:
        pipelines = [factory() for factory, _, _ in work]
        conn.send(("ok", [p.index(files, own) for p, (_, files, own) in zip(pipelines, work, strict=True)]))
        facts = conn.recv()
        judged = [
            p.judge(files, facts[j], own) for j, (p, (_, files, own)) in enumerate(zip(pipelines, work, strict=True))
        ]
        conn.send(("ok", judged))
    except Exception as exc:  # the parent scans in one process instead; it needs only to know
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        conn.close()
        os._exit(0)  # done: freeing its trees and judgements one by one would keep the parent waiting ~50 ms
    finally:
        conn.close()

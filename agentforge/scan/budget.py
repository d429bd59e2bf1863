"""Per-file limits on reading a file: a time budget checked between its functions, and a nesting guard.

py-tree-sitter has no parse timeout, but parsing is linear and fast; what can run long is the Python side,
judging a file's functions one by one (type resolution, literal reading). So the clock (started before the
file was parsed) is checked before each function, and a file over budget is dropped with a warning: a partial
result would depend on the machine's speed, not on the code. Python recursion in those readers (literals or
types nested thousands deep) is bounded by the interpreter's limit; a `RecursionError` costs only the function
that hit it, with a warning, and the rest of the file is still read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

S = TypeVar("S")

DEFAULT_FILE_SECONDS = 10.0
TOO_DEEP = "nested too deeply to read (past Python's recursion limit); skipped"


@dataclass(slots=True)
class FileClock:
    limit: float | None
    """Seconds one file may take; None for no limit."""
    spent: float = 0.0
    """Seconds already spent on the file before judging it (its parse)."""
    started: float = field(default_factory=time.perf_counter)

    def over(self) -> bool:
        return self.limit is not None and time.perf_counter() - self.started + self.spent > self.limit

    def message(self) -> str:
        return f"skipped: reading it took over {self.limit:g} s (the per-file time budget)"


def judge_sites(
    sites: Iterable[S],
    judge: Callable[[S], None],
    label: Callable[[S], str],
    warn: Callable[[str], None],
    clock: FileClock,
) -> bool:
    """`judge` each site in order; False when the file ran over its time budget (its result is void)."""
    found = iter(sites)
    while True:
        if clock.over():
            return False
        try:
            site = next(found)
        except StopIteration:
            return True
        except RecursionError:  # the site walk itself (classes nested thousands deep): keep what came before
            warn(f"definitions {TOO_DEEP}")
            return True
        try:
            judge(site)
        except RecursionError:
            warn(f"{label(site)}: {TOO_DEEP}")

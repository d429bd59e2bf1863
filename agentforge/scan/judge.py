"""Judging the functions of one file, each once, for every language.

A call to a function of the same file is read through that function's own verdict: a stub's answer (the call
waits for delegation), a pure helper's reshaping of its arguments, or real work. Verdicts are memoized, so a
helper called from many places is read once, and recursion reads as real work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from tree_sitter import Node

from agentforge.scan.evidence import INPUT, LOCAL, REAL, Facts, Value
from agentforge.scan.extractor import Detection
from agentforge.scan.scoring import DELEGATION_CONFIDENCE

S = TypeVar("S")
_STUB = Value(LOCAL)


HELPER_STATEMENTS = 4
"""The longest function (statements, comments aside) read as a helper when nothing else asked to read it."""


class Judge(Generic[S]):
    def __init__(
        self,
        find: Callable[[str], S | None],
        key: Callable[[S], int],
        read: Callable[[S, Judge[S]], tuple[Detection[Any] | None, Facts]],
        short: Callable[[S], bool],
    ) -> None:
        self._find = find
        """The file's function of a qualified name (a later definition wins, as at run time)."""
        self._key = key
        self._read = read
        self._short = short
        """Whether an unjudged callee is short enough to read as a helper; a long one is real work."""
        self._done: dict[int, Detection[Any] | None] = {}
        self._helpers: dict[int, Value] = {}
        self._busy: set[int] = set()

    def detect(self, site: S) -> Detection[Any] | None:
        key = self._key(site)
        if key not in self._done:
            self._busy.add(key)
            try:
                detection, facts = self._read(site, self)
            finally:
                self._busy.discard(key)
            self._done[key] = detection
            self._helpers[key] = _as_helper(detection, facts)
        return self._done[key]

    def call(self, call: Node, candidates: Sequence[str]) -> Value | None:
        """What `call` gives when it calls a function of this file (the first of `candidates`, qualified
        names, that exists); None when it calls none."""
        callee = next((found for c in candidates if (found := self._find(c)) is not None), None)
        if callee is None:
            return None
        key = self._key(callee)
        if key in self._busy:
            return Value(REAL)  # recursion: whatever it does, it is no canned answer
        if key not in self._done and not self._short(callee):
            return Value(REAL)
        self.detect(callee)
        helper = self._helpers[key]
        return Value(LOCAL, 0, (call,)) if helper is _STUB else helper


def _as_helper(detection: Detection[Any] | None, facts: Facts) -> Value:
    """A callee as its callers see it: a stub (or a stub pending delegation), real work, or a pure helper
    whose result is its arguments reshaped, plus whatever constants it adds (a formatter's own words)."""
    if detection is not None and (detection.pending or detection.confidence >= DELEGATION_CONFIDENCE):
        return _STUB
    mask = facts.mask
    if mask & (REAL | LOCAL) or not facts.answers:
        return Value(REAL)
    return Value(mask & ~INPUT)  # its own canned words are its business, not prose of the caller's answer

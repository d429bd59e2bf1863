"""Where a file's bytes hold the words a fake leaves behind, found once per file.

Deciding whether a long function is worth reading asks whether its body mentions a mock, a placeholder, a
random pick or a sleep. Searching every body separately costs a regular expression over nested bodies again
and again (a fifth of a full scan); the positions of every hint word in the file, then one binary search per
body, cost a single pass.
"""

from __future__ import annotations

from bisect import bisect_left

STRONG = (b"mock", b"fake", b"dummy", b"stub", b"placeholder", b"simulat", b"canned", b"todo", b"fixme",
          b"implemented", b"lorem", b"hardcoded", b"hard-coded")  # fmt: skip
"""Words an author leaves in a body that only pretends: any body holding one is read, however long."""
TIMID = (b"random", b"sleep", b"sample", b"yield", b"settimeout", b"setinterval", b"delay")
"""Ways of faking (a random pick, a fake delay, a fake stream) that real code uses too: short bodies only."""


class Hints:
    def __init__(self, source: bytes) -> None:
        lowered = source.lower()
        self._strong = _positions(lowered, STRONG)
        self._timid = _positions(lowered, TIMID)

    def strong(self, start: int, end: int) -> bool:
        return _within(self._strong, start, end)

    def timid(self, start: int, end: int) -> bool:
        return _within(self._timid, start, end)


def _positions(source: bytes, words: tuple[bytes, ...]) -> list[int]:
    found = []
    for word in words:
        at = source.find(word)
        while at >= 0:
            found.append(at)
            at = source.find(word, at + 1)
    return sorted(found)


def _within(positions: list[int], start: int, end: int) -> bool:
    i = bisect_left(positions, start)
    return i < len(positions) and positions[i] < end

"""What a function's body does with its inputs, read statically: the language-neutral facts detection scores.

Each language's flow reader (`python/flow.py`, `javascript/flow.py`) walks a body once and tracks, for every
value the function hands back (its answers: returns, yields, resolved promises, callbacks it feeds), where that
value came from. The sources are a bit mask: hard-coded content, the caller's input, values computed from it,
randomness, the clock, real work (a call out of the repository, I/O, a model) or another function of the repo.
A fake answers from hard-coded content, the input's own text and randomness alone; real code answers from
real work or from computation over its data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LIT = 1
"""Hard-coded content: literals, constants, mock collections."""
INPUT = 2
"""The caller's input itself, or its text reshaped (sliced, trimmed, split, joined, case-changed)."""
DERIVED = 4
"""Computed from the input: arithmetic, aggregation, comparisons."""
LENGTH = 8
"""A length or count of the input: what a fake summary quotes back ("N characters long")."""
RANDOM = 16
TIME = 32
"""The clock, ids and the environment: neither fake nor real work."""
REAL = 64
"""Real work: a call out of the repository (a model, HTTP, a database, a file) whose result flows on."""
LOCAL = 128
"""A call to another function of the repository: fake or real depending on what that one does."""
STATE = 256
"""State the scan cannot see into: fields, closures, globals that are not constants."""
MOCK = 512
"""Data read from a collection named as mock, fake, dummy or sample."""

ORDER = 1024
"""Hard-coded text addressed to a model ("You are…", "Respond in JSON"): a prompt being built, not an answer."""
TEXT = 2048
"""Text normalized for matching (lower-cased, trimmed): what keyword rules test."""
CUT = 4096
"""The input's text cut short: a slice, its first words or sentences."""

_WORD = re.compile(r"[^\W\d_]{2,}")
_ORDER = re.compile(
    r"\byou are (an?|the)\b|\byou (must|should|will)\b|"
    r"(^|[.!?:]\s+)(respond|reply|answer|return|output) (only|with|in|as)\b|"
    r"\bdo not\b.*\b(include|add|explain|output)|\bjson (object|format|schema)\b|\binstructions?:|"
    r"\b(system|user|assistant) (prompt|message)\b|\bfollowing (text|rules|input|article|document)\b",
    re.IGNORECASE,
)


def prose_words(text: str) -> int:
    """Words of natural-language text in a hard-coded string: what makes a canned answer an answer."""
    return len(_WORD.findall(text))


MAX_WORDS = 10_000
MAX_CALLS = 16
"""Bounds that keep a value small however often a loop or an accumulation joins it with itself."""


@dataclass(frozen=True, slots=True)
class Value:
    """Where one expression's value comes from."""

    mask: int = 0
    words: int = 0
    """Words of hard-coded prose that reach the value."""
    calls: tuple[Any, ...] = ()
    """The calls to repository functions (language nodes) the value is the result of."""
    pieces: int = 0
    """Pieces of the input interpolated into hard-coded text: a formatter has many, an echo few."""

    def adding(self, bits: int) -> Value:
        return Value(self.mask | bits, self.words, self.calls, self.pieces)

    def __bool__(self) -> bool:
        return bool(self.mask or self.calls)

    def __or__(self, other: Value) -> Value:
        if other is self or (not other.mask and not other.calls):
            return self
        if not self.mask and not self.calls:
            return other
        calls = self.calls + tuple(c for c in other.calls if c not in self.calls) if other.calls else self.calls
        words = min(self.words + other.words, MAX_WORDS)
        pieces = min(self.pieces + other.pieces, MAX_WORDS)
        return Value(self.mask | other.mask, words, calls[:MAX_CALLS], pieces)


def text_value(text: str) -> Value:
    """A hard-coded string's value: its prose, and whether it instructs a model."""
    return Value(LIT | (ORDER if _ORDER.search(text) else 0), prose_words(text))


NOTHING = Value()
LITERAL = Value(LIT)


def interpolated(parts: list[Value]) -> Value:
    """A template (f-string, template literal) of `parts`: its hard-coded text, and how many pieces of the
    input it interpolates."""
    joined = join(parts)
    pieces = sum(1 for p in parts if p.mask & (INPUT | LENGTH | STATE) and not p.words)
    return Value(joined.mask | LIT, joined.words, joined.calls, joined.pieces + pieces)


def operand(value: Value) -> Value:
    """A value used as a key, separator or pattern: where it comes from counts, its words are no answer."""
    return Value(value.mask & ~ORDER, 0, value.calls, value.pieces) if value.words or value.mask & ORDER else value


def join(values: list[Value]) -> Value:
    out = NOTHING
    for v in values:
        out = out | v
    return out


def derived(value: Value) -> Value:
    """The value after arithmetic or a comparison: input becomes a computation over the input."""
    if value.mask & INPUT:
        return Value((value.mask & ~INPUT) | DERIVED, value.words, value.calls, value.pieces)
    return value


class RealWork(Exception):
    """Raised inside a flow reader when an answer is fed by real work: nothing read later changes the verdict."""


@dataclass(slots=True)
class Facts:
    """Everything detection needs from one body; filled by a language's flow reader."""

    has_inputs: bool = False
    answers: list[Value] = field(default_factory=list)
    empty: str | None = None
    """Why the body gives no answer at all: `pass`, `...`, `docstring`, `empty`, `log`, `todo`."""
    not_implemented: str | None = None
    """The error a body that only refuses raises or throws."""
    text_tests: int = 0
    """Keyword tests on the input's text (`"refund" in text`, `s.includes("x")`, a regex, a string switch)."""
    data_rules: int = 0
    """Numeric tests on the input's data (thresholds, counts compared with numbers): rules, not guesses."""
    latency: bool = False
    """A sleep or timer before answering."""
    stream: bool = False
    """Answers handed out piece by piece (yields, or pushes from a timer)."""
    random_pick: bool = False
    """An answer picked at random from hard-coded items."""
    mock_data: str | None = None
    """The mock collection an answer reads from."""
    computes: bool = False
    """The body works on its input (calls, derived values) beyond what its answers show."""
    static: Any = None
    static_node: Any = None
    """One representative hard-coded answer and its node, for `ModuleSpec.static_example` and the fallback."""
    guards: int = 0
    """Errors raised or thrown under a condition: validation, not refusal."""
    logged: str = ""
    """The hard-coded text a body prints or logs: a script that only announces "Analysis complete." fakes it."""
    feeds: str | None = None
    """The callback parameter the body hands its answers to (`push(chunk)`), when that is how it answers."""
    choices: int = 0
    """Tests of the input against hard-coded strings (`style === "poetic"`, a `switch` over an option)."""
    state_rules: int = 0
    """The same tests on the app's own state (fields, closures): decisions that follow real data."""

    @property
    def mask(self) -> int:
        out = 0
        for a in self.answers:
            out |= a.mask
        return out

    @property
    def words(self) -> int:
        return sum(a.words for a in self.answers)

    @property
    def calls(self) -> list[Any]:
        return [c for a in self.answers for c in a.calls]

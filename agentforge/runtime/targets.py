"""Route targets, read as rungs of the ladder: the corrections' own vote (nearest neighbours, centroid), base,
a linear head on their embeddings, base, base + retrieved examples, adapter, adapter + examples.

A target is `base`, an adapter name, `backend:NAME` (another back end's base model) or `static`; any but
`static` may end in `+examples` (the route's `examples` count, or `DEFAULT_EXAMPLES` when that is 0) or
`+examples:K`. A route's champion written plainly also carries examples when the route's `examples` is
above 0; its canary and fallbacks carry them only when they say `+examples`. So `base` given as an explicit
target is always the bare base model, which lets an evaluation put rungs side by side.

Two targets call no model at all: `nearest[:K]` answers what the K corrections most similar to the input say
(a majority vote, a tie to the more similar answer; K = 1 when not given, or the route's `examples` for a plain
champion), and `centroid` the answer whose corrections are the most similar on average. Both answer from the retriever's
ranking of the module's corrections (`runtime/vote.py`), so they cost a retrieval and nothing more. `head` answers with
a logistic regression fitted on the corrections' embeddings (`runtime/head.py`; an embedding retriever only).

`tagger:NAME` answers with the span tagger adapter version NAME trained beside its LoRA (`runtime/tagger.py`): an
encoder call, no model call, and no retrieved examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentforge.artifacts import Route, Rung
from agentforge.errors import InvalidInputError

__all__ = [
    "BACKEND_PREFIX",
    "BASE",
    "CENTROID",
    "DEFAULT_EXAMPLES",
    "HEAD",
    "NEAREST",
    "STATIC",
    "TAGGER",
    "VOTES",
    "Step",
    "champion_target",
    "parse_target",
    "route_steps",
]

STATIC = "static"
BASE = "base"
BACKEND_PREFIX = "backend:"
"""A route target `backend:NAME` is the base model of another back end given to the engine (`backends=`)."""
DEFAULT_EXAMPLES = 4
"""Examples a `+examples` target carries when neither the target nor the route gives a count."""
NEAREST = "nearest"
CENTROID = "centroid"
HEAD = "head"
VOTES = (NEAREST, CENTROID, HEAD)
"""Targets answered by the module's corrections themselves, with no model call."""
TAGGER = "tagger:"
"""`tagger:NAME`: the span tagger of adapter version NAME."""

_EXAMPLES = re.compile(r"^(?P<target>.+)\+examples(?::(?P<k>\d+))?$")
_NEAREST = re.compile(r"^nearest(?::(?P<k>\d+))?$")


@dataclass(frozen=True)
class Step:
    """One target of a route, as the engine tries it."""

    target: str
    """`base`, an adapter name, `backend:NAME`, `nearest`, `centroid`, `head`, `tagger:NAME` or `static` (no
    `+examples`)."""
    examples: int = 0
    """Retrieved corrections the prompt carries (0: none); for `nearest`, the neighbours that vote (0: one)."""

    @property
    def adapter(self) -> str | None:
        """The adapter version the step answers with (a tagger's own version too); None for the others."""
        if self.tagger:
            return self.target.removeprefix(TAGGER)
        if self.target in (BASE, STATIC, *VOTES) or self.target.startswith(BACKEND_PREFIX):
            return None
        return self.target

    @property
    def vote(self) -> bool:
        """Whether the corrections answer by themselves (no model is called)."""
        return self.target in VOTES

    @property
    def tagger(self) -> bool:
        """Whether an adapter version's span tagger answers (no model is called)."""
        return self.target.startswith(TAGGER)

    @property
    def self_contained(self) -> bool:
        """Whether the step answers the same with or without retrieved examples (a vote, a tagger, static)."""
        return self.target in (STATIC, CENTROID, HEAD) or self.tagger

    @property
    def text(self) -> str:
        """The step as a target string that `parse_target` reads back to it."""
        if self.target == NEAREST:
            return f"{NEAREST}:{max(self.examples, 1)}"
        return f"{self.target}+examples:{self.examples}" if self.examples else self.target

    @property
    def rung(self) -> Rung:
        if self.target == STATIC:
            return Rung.STATIC
        if self.target == NEAREST:
            return Rung.NEAREST
        if self.target == CENTROID:
            return Rung.CENTROID
        if self.target == HEAD:
            return Rung.HEAD
        if self.tagger:
            return Rung.TAGGER
        if self.adapter is None:
            return Rung.BASE_EXAMPLES if self.examples else Rung.BASE
        return Rung.ADAPTER_EXAMPLES if self.examples else Rung.ADAPTER


def parse_target(text: str, route: Route) -> Step:
    """Read one target; `route` gives the count for a bare `+examples`. InvalidInputError when malformed."""
    nearest = _NEAREST.match(text)
    if nearest is not None:
        neighbours = int(nearest["k"] or 0)
        if nearest["k"] is not None and neighbours < 1:
            raise InvalidInputError(f"route target {text!r}: at least one neighbour must vote")
        return Step(NEAREST, neighbours)
    match = _EXAMPLES.match(text)
    if match is None:
        if "+examples" in text or not text or any(text.startswith(f"{v}:") for v in VOTES) or text == TAGGER:
            raise InvalidInputError(
                f"malformed route target {text!r} (expected TARGET, TARGET+examples[:K], nearest[:K], centroid, head "
                "or tagger:NAME)"
            )
        return Step(text)
    target, k = match["target"], match["k"]
    if target in (STATIC, *VOTES) or _NEAREST.match(target) or target.startswith(TAGGER):
        raise InvalidInputError(f"route target {text!r}: {target.split(':')[0]} takes no retrieved examples")
    count = int(k) if k is not None else (route.examples or DEFAULT_EXAMPLES)
    if count < 1:
        raise InvalidInputError(f"route target {text!r}: the example count must be at least 1")
    return Step(target, count)


def champion_target(route: Route) -> str:
    """The champion as an explicit target naming its rung (`base+examples:5`, say), for an evaluation that must
    answer exactly as the champion does (an explicit plain target carries no examples)."""
    if route.champion == NEAREST:
        return Step(NEAREST, route.examples).text
    step = parse_target(route.champion, route)
    plain = not step.self_contained and step == Step(route.champion)
    if route.examples and plain:
        return f"{route.champion}+examples:{route.examples}"
    return route.champion


def route_steps(route: Route, chosen: str, *, explicit: bool) -> list[Step]:
    """The steps a call tries: `chosen` alone when it was given explicitly, else `chosen` then the fallback chain
    (up to and including `static`). The champion carries the route's `examples` unless it says otherwise."""
    first = parse_target(chosen, route)
    if not explicit and chosen == route.champion and first.examples == 0 and not first.self_contained:
        first = Step(first.target, route.examples)
    steps = [first]
    for text in [] if explicit else route.fallback:
        step = parse_target(text, route)
        if step not in steps:
            steps.append(step)
    return steps

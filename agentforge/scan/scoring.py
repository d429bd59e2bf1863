"""From a body's facts and a function's words to the reasons and confidence of a finding, for every language.

A function is a candidate only when its body shows some way of faking (an answer of hard-coded content, the
input echoed in canned prose, keyword rules, a random pick, a fake delay or stream, a refusal, delegation to a
stub) and no answer comes from real work. Its confidence then weighs that shape against what the function is
for (`intent.py`): the same canned dict is a stub in `analyze_document` and plumbing in `health`. Weights are
log-odds; `DEFAULT_MIN_CONFIDENCE` is the threshold chosen on the labelled corpus (`bench/scan_quality.py`).
"""

from __future__ import annotations

import re

from agentforge.artifacts import DetectionReason
from agentforge.scan.evidence import (
    CUT,
    DERIVED,
    INPUT,
    LENGTH,
    LIT,
    LOCAL,
    MOCK,
    ORDER,
    RANDOM,
    REAL,
    STATE,
    TIME,
    Facts,
    Value,
)
from agentforge.scan.extractor import reason

DEFAULT_MIN_CONFIDENCE = 0.5
DELEGATION_CONFIDENCE = 0.5
CANDIDATE_CONFIDENCE = 0.1
"""Below this a function's evidence is kept nowhere (not even for `--explain`): a formatter whose only
fake-looking trait is reshaping its input, on plumbing, is not worth a contract."""
"""A callee at least this confident is a stub for its callers: their answer is its answer."""

ECHO_PIECES = 3
"""An echo wraps a piece or two of the input in canned words; a template of many fields is a formatter."""
_USES_INPUT = INPUT | DERIVED | STATE
"""What reads the input's content; its length alone (a fake's "N characters long") does not."""


def _content(a: Value) -> bool:
    """Hard-coded content in an answer: prose, mock data, a random pick, or a non-trivial literal."""
    return bool(a.mask & (MOCK | RANDOM)) or (bool(a.mask & LIT) and a.words > 0)


def _canned(a: Value) -> bool:
    """Only hard-coded: no input, no real work, no call whose result is unknown; the clock or the
    environment only inside a record of canned text (a fake answer's timestamp, not a setting)."""
    if not a.mask & (LIT | MOCK | RANDOM) or a.mask & (_USES_INPUT | REAL | LOCAL) or a.calls:
        return False
    return not a.mask & TIME or a.words >= 3


def _echo(a: Value) -> bool:
    """The input's text (or its length) wrapped in canned prose."""
    if not a.mask & (INPUT | LENGTH) or not a.mask & LIT or a.mask & (REAL | DERIVED):
        return False
    return a.words >= 3 and a.words > a.pieces and a.pieces <= ECHO_PIECES


def _receipt(a: Value) -> bool:
    """Only the clock, the environment and constants: a timestamp or a file path, neither fake nor real."""
    return bool(a.mask & TIME) and not a.mask & ~(TIME | LIT)


def _transform(a: Value) -> bool:
    """The input reshaped by string and list operations, with no real work."""
    return bool(a.mask & INPUT) and not a.mask & (REAL | DERIVED)


STRONG = frozenset({"not_implemented", "returns_mock_data", "random_pick", "simulated_latency", "fake_stream",
                    "delegates_to_stub", "explicit_marker"})  # fmt: skip
"""Shapes that fake on their own; the others (an echo, keyword rules, a cut, a constant) are also how real
text code looks, and count only beside words that say the function is smart work or a mock."""
INTENT = frozenset({"mock_name", "mock_file", "mock_comment", "smart_name", "smart_route"})
"""Words about the function itself; its class or file being about AI says little about one helper in it."""


def combine(found: list[DetectionReason], intent: list[DetectionReason]) -> list[DetectionReason]:
    """The body's shape with the function's intent; weak shapes with no word of smart work count for less."""
    rich_literal = any(r.code == "returns_literal" and r.weight >= 2.0 for r in found)
    strong = rich_literal or any(r.code in STRONG for r in found)
    if not strong and not any(r.code in INTENT for r in intent):
        detail = "Nothing in its name, file or docs says it does smart work or is a mock."
        return [*found, *intent, reason("no_smart_intent", detail, -1.5)]
    return [*found, *intent]


def shape(facts: Facts, *, delegates: bool = False) -> list[DetectionReason]:
    """The ways the body fakes its work; empty when it shows none, or when real work feeds an answer."""
    found: list[DetectionReason] = []
    if facts.not_implemented is not None:
        found.append(reason("not_implemented", f"The body only refuses: {facts.not_implemented}.", 3.0))
        return found
    answers = facts.answers
    if any(a.mask & REAL for a in answers):
        return []
    if facts.empty is not None and not answers:
        detail, weight = _EMPTY.get(facts.empty, ("The body does nothing.", 1.5))
        found.append(reason("not_implemented", detail, weight))
        if facts.empty == "log" and (claim := _CLAIM.search(facts.logged)) is not None:
            detail = f"It only announces work it never does ({claim.group(0)!r})."
            found.append(reason("announces_work", detail, 2.0))
        return found
    if not answers:
        return []
    if delegates:
        found.append(reason("delegates_to_stub", "Its answer is the answer of a stub it calls.", 3.0))
    elif any(a.calls for a in answers) and not all(_content(a) for a in answers if a.calls):
        return []  # it hands on what another function computes, and that one is not a stub
    if not delegates and any(not (_canned(a) or _echo(a) or _transform(a) or _receipt(a) or a.calls) for a in answers):
        return []  # some answer comes from state, the clock or a computation the scan cannot call fake
    canned = [a for a in answers if _canned(a)]
    uses_input = any(a.mask & _USES_INPUT for a in answers)
    tested = facts.text_tests + facts.data_rules + facts.choices + facts.guards > 0
    if facts.mock_data is not None:
        found.append(reason("returns_mock_data", f"It answers from the mock collection `{facts.mock_data}`.", 3.0))
    elif canned and len(canned) == len(answers) and not delegates:
        words = sum(a.words for a in canned)
        rich = any(_content(a) for a in canned)
        if facts.text_tests:
            found.append(reason("keyword_rules", "It picks a hard-coded answer by keywords in the input.", 2.0))
        elif not facts.has_inputs and not rich and not (facts.latency or facts.stream):
            return []  # no input and an empty constant (`{}`, `None`, `0`): a default, not an answer
        elif not tested or facts.has_inputs is False:
            detail = f"Every answer is hard-coded{f' ({words} words of canned text)' if words >= 3 else ''}."
            found.append(reason("returns_literal", detail, 2.0 + (0.5 if words >= 3 else 0.0) if rich else 1.0))
        else:
            found.append(reason("rule_table", "It picks a hard-coded answer by simple tests.", 0.5))
    elif facts.text_tests and any(_content(a) or _echo(a) for a in answers):
        found.append(reason("keyword_rules", "It picks canned text by keywords in the input.", 2.0))
    if any(_echo(a) for a in answers):
        found.append(reason("template_echo", "It wraps the input's own text in canned prose.", 1.5))
    if facts.random_pick:
        found.append(reason("random_pick", "It answers with a random pick from hard-coded items.", 1.5))
    if any(a.mask & CUT and (_transform(a) or _echo(a)) for a in answers):
        found.append(reason("truncation", "It cuts the input short and calls that the answer.", 1.0))
    if facts.latency and (found or canned):
        found.append(reason("simulated_latency", "It waits on a timer before answering, as a model would.", 1.5))
    if facts.stream and (facts.latency or all(_canned(a) for a in answers)) and any(_content(a) for a in answers):
        found.append(reason("fake_stream", "It hands out hard-coded pieces one by one, as a stream would.", 1.0))
    fake = bool(found)
    if fake and facts.has_inputs and not uses_input and canned:
        if facts.computes:
            detail = "It works on its input, then ignores the result and answers with canned data."
            found.append(reason("discarded_computation", detail, 1.0))
        elif not tested:
            found.append(reason("ignores_input", "No input reaches its answer.", 0.5))
    if not fake and answers and all(_transform(a) or _canned(a) for a in answers) and uses_input:
        found.append(reason("heuristic_transform", "It answers by reshaping the input's text, nothing more.", 0.3))
    if not found:
        return []
    if any(a.mask & ORDER for a in answers):
        detail = "Its hard-coded text instructs a model: it builds a prompt for real work."
        found.append(reason("model_instructions", detail, -2.5))
    if facts.data_rules:
        detail = f"Its answers follow {facts.data_rules} numeric rule(s) over its data: real logic."
        found.append(reason("data_rules", detail, -1.0 * min(facts.data_rules, 3)))
    if facts.state_rules:
        detail = "Its answers follow the app's own state (fields, closures), not a guess."
        found.append(reason("follows_app_state", detail, -1.0))
    if not facts.has_inputs and canned and not (facts.latency or facts.stream or facts.random_pick or facts.mock_data):
        found.append(reason("config_getter", "It takes no input and answers a constant: configuration.", -2.0))
    return found


_CLAIM = re.compile(
    r"\b(complete[d]?|done|finished|generated|success(fully)?|analy[sz](ed|is)|summari[sz]ed|processed|created|"
    r"saved|sent|trained|predicted|classified|translated)\b",
    re.IGNORECASE,
)
"""What a script prints when it claims to have done the work."""
_EMPTY = {
    "pass": ("The body is only `pass`.", 1.5),
    "...": ("The body is only `...`.", 1.5),
    "docstring": ("The body is only a docstring.", 1.5),
    "empty": ("The body is empty.", 1.5),
    "return": ("The body only returns, with nothing.", 1.0),
    "log": ("The body only logs.", 1.5),
    "todo": ("The body is only a TODO note.", 2.0),
}

from __future__ import annotations

import pytest

from agentforge.artifacts import EvalReport
from agentforge.learn.gate import bootstrap_ci, decide


def run(
    champion: list[float],
    candidate: list[float],
    champion_valid: list[bool] | None = None,
    candidate_valid: list[bool] | None = None,
    *,
    min_gain: float = 0.0,
) -> EvalReport:
    n = len(champion)
    return decide(
        "app.py::classify",
        "exact_match",
        "base",
        "app-py-classify@0123456789ab",
        champion,
        candidate,
        champion_valid if champion_valid is not None else [True] * n,
        candidate_valid if candidate_valid is not None else [True] * n,
        min_gain=min_gain,
    )


def test_clear_win_promotes() -> None:
    champion = [0.0] * 20 + [1.0] * 10
    candidate = [1.0] * 28 + [0.0] * 2
    report = run(champion, candidate)
    assert report.promoted
    assert report.margin == pytest.approx(28 / 30 - 10 / 30)
    assert report.champion_score == pytest.approx(1 / 3) and report.candidate_score == pytest.approx(28 / 30)
    assert report.n == 30
    assert report.reason.startswith("promoted") and "CI" in report.reason


def test_tie_rejects() -> None:
    scores = [1.0, 0.0] * 10
    report = run(scores, scores)
    assert not report.promoted
    assert report.margin == 0.0
    assert "gain rule" in report.reason


def test_noise_rejects() -> None:
    # The candidate wins 4 examples and loses 3: a small positive mean gain well inside the noise.
    champion = [0.0] * 4 + [1.0] * 3 + [1.0] * 13
    candidate = [1.0] * 4 + [0.0] * 3 + [1.0] * 13
    report = run(champion, candidate)
    assert report.margin > 0
    assert not report.promoted
    assert "CI lower bound" in report.reason


def test_worse_rejects() -> None:
    report = run([1.0] * 20, [0.0] * 5 + [1.0] * 15)
    assert not report.promoted and report.margin == pytest.approx(-0.25)


def test_min_gain_is_respected() -> None:
    champion, candidate = [0.0] * 30, [0.1] * 30
    assert run(champion, candidate).promoted
    assert not run(champion, candidate, min_gain=0.2).promoted


def test_validity_drop_rejects_even_a_clear_win() -> None:
    champion = [0.0] * 30
    candidate = [1.0] * 30
    report = run(champion, candidate, [True] * 30, [True] * 29 + [False])
    assert not report.promoted
    assert "validity rule" in report.reason and "gain rule" not in report.reason
    assert report.candidate_validity == pytest.approx(29 / 30) and report.champion_validity == 1.0


def test_empty_held_out_set_rejects() -> None:
    report = run([], [])
    assert not report.promoted and report.n == 0
    assert "held-out set is empty" in report.reason


def test_decision_is_reproducible() -> None:
    champion = [0.0, 1.0, 0.5, 0.2] * 5
    candidate = [0.4, 1.0, 0.6, 0.1] * 5
    assert run(champion, candidate) == run(champion, candidate)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="one length"):
        run([1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="finite"):
        run([1.0], [float("nan")])


def test_bootstrap_ci_brackets_the_mean() -> None:
    values = [0.0, 1.0] * 50
    low, high = bootstrap_ci(values, n_boot=2000, seed=1)
    assert low < 0.5 < high
    assert low > 0.35 and high < 0.65
    assert bootstrap_ci([0.3] * 5) == pytest.approx((0.3, 0.3))

"""The detector on real prototypes nobody here wrote: `bench/scan_quality.py` over the labelled corpus.

The corpus (`../shared/datasets/prototypes/`, beside the project's clone) is read in place, never copied:
most of its repositories carry no licence. Each archive is unpacked by the package's safe unpacker into a
temporary folder and scanned there; nothing in it is imported or run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "datasets" / "prototypes"

pytestmark = pytest.mark.skipif(not (CORPUS / "truth.json").is_file(), reason="the shared prototype corpus is absent")


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scan_quality.py"), str(CORPUS), "--json-only"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    last = done.stdout.strip().splitlines()[-1]
    parsed: dict[str, object] = json.loads(last)
    return parsed


def test_recall_on_ai_stubs_and_hard_negatives_at_the_default_threshold(report: dict[str, object]) -> None:
    default = report["default"]
    assert isinstance(default, dict)
    assert default["ai_stub_recall"] >= 0.95, report["missed"]
    assert default["hard_negatives_flagged"] <= 1, report["false_positive_list"]


def test_the_curve_trades_recall_for_precision(report: dict[str, object]) -> None:
    curve = report["curve"]
    assert isinstance(curve, list) and len(curve) >= 10
    recalls = [point["ai_stub_recall"] for point in curve]
    assert recalls == sorted(recalls, reverse=True)  # a higher threshold never finds more
    assert report["f1_over_baseline"] is not None and report["f1_over_baseline"] > 1.0  # beats a grep

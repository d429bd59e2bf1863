"""Checks on the labelled data in data/."""

import json
from collections import Counter
from pathlib import Path

from support_desk.models import CaseDetails, Intent

DATA = Path(__file__).resolve().parents[1] / "data"


def _read(name: str) -> list[dict[str, object]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_intents_file() -> None:
    rows = _read("intents.jsonl")
    assert len(rows) == 360
    assert all(set(row) == {"text", "intent"} for row in rows)
    counts = Counter(row["intent"] for row in rows)
    assert set(counts) == {intent.value for intent in Intent}
    assert all(count == 30 for count in counts.values())
    texts = [str(row["text"]).strip().lower() for row in rows]
    assert len(set(texts)) == len(texts)
    assert all(5 <= len(text.split()) <= 40 for text in texts)
    # Shuffled: the first 30 lines are not all one intent.
    assert len({row["intent"] for row in rows[:30]}) > 1


def test_extraction_file() -> None:
    rows = _read("extraction.jsonl")
    assert len(rows) == 60
    assert len({row["text"] for row in rows}) == 60
    fields = set(CaseDetails.model_fields)
    for row in rows:
        assert set(row) == {"text", "expected"}
        expected = row["expected"]
        assert isinstance(expected, dict)
        assert set(expected) == fields
        details = CaseDetails.model_validate(expected)
        if details.card_last4 is not None:
            assert details.card_last4 in str(row["text"])
        if details.merchant is not None:
            assert details.merchant in str(row["text"])

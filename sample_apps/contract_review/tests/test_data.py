"""Checks on the labelled data in data/."""

import json
from collections import Counter
from pathlib import Path

from contract_review.models import Clause, ClauseType
from contract_review.text import split_sections

DATA = Path(__file__).resolve().parents[1] / "data"


def _read(name: str) -> list[dict[str, object]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_clauses_file() -> None:
    rows = _read("clauses.jsonl")
    assert len(rows) >= 20
    assert len({row["text"] for row in rows}) == len(rows)
    seen = Counter()
    for row in rows:
        assert set(row) == {"text", "expected"}
        expected = row["expected"]
        assert isinstance(expected, list) and expected
        numbers = [number for number, _ in split_sections(str(row["text"]))]
        for item in expected:
            assert set(item) == {"clause_type", "section"}
            seen[ClauseType(item["clause_type"])] += 1
            assert item["section"] in numbers
    assert set(seen) == set(ClauseType)


def test_risks_file() -> None:
    rows = _read("risks.jsonl")
    assert len(rows) >= 20
    for row in rows:
        assert set(row) == {"clause", "level"}
        Clause.model_validate(row["clause"])
        assert row["level"] in ("low", "medium", "high")
    assert {row["level"] for row in rows} == {"low", "medium", "high"}

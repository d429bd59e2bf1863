"""Command line: `python -m contract_review CONTRACT.txt` prints a report."""

from __future__ import annotations

import sys
from pathlib import Path

from .report import format_report, review_contract


def main(argv: list[str]) -> int:
    """Review the contract file named in argv and print the report."""
    if len(argv) != 1:
        print("usage: python -m contract_review CONTRACT.txt", file=sys.stderr)
        return 2
    text = Path(argv[0]).read_text(encoding="utf-8")
    print(format_report(review_contract(text)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

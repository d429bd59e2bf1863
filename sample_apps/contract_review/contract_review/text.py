"""Plain text helpers: sections and word counts."""

from __future__ import annotations

import re

_HEADING = re.compile(r"^\s*(\d+(?:\.\d+)*)[.)]?\s+(.*)$")


def split_sections(contract_text: str) -> list[tuple[str, str]]:
    """Split a contract into numbered sections.

    A section starts at a line beginning with a number ("1.", "2.3", "4)").
    Returns (number, body) pairs in order; text before the first heading is
    returned under the number "0" when it is not blank.
    """
    sections: list[tuple[str, list[str]]] = [("0", [])]
    for line in contract_text.splitlines():
        match = _HEADING.match(line)
        if match:
            sections.append((match.group(1), [match.group(2).strip()]))
        elif line.strip():
            sections[-1][1].append(line.strip())
    result = [(number, " ".join(lines).strip()) for number, lines in sections]
    return [(number, body) for number, body in result if body]


def word_count(text: str) -> int:
    """Number of words (runs of letters, digits, apostrophes or hyphens)."""
    return len(re.findall(r"[\w'-]+", text))


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace to single spaces and trim the ends."""
    return " ".join(text.split())

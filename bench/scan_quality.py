"""Scan quality on real prototypes: precision and recall of the stub detector against hand labels.

    python bench/scan_quality.py [CORPUS_DIR] [--json-only]

CORPUS_DIR (default `../shared/datasets/prototypes`, beside the project) holds one `git archive` tarball per
repository and `truth.json` with the labels (its README gives the conventions). Each archive is unpacked with
the package's own safe unpacker into a temporary folder and scanned there; nothing in it is imported or run.

Scoring follows the corpus README: a finding matches a label on (file, name), else on (file, line ± 1).
Positives are exhaustive per repository, so any in-scope finding that is neither a positive nor an ambiguous
entry is a false positive; the `negatives` are the hard look-alikes among them. Findings under a repository's
`excluded_paths` are not scored. Recall is reported on `ai_stub` (the target) and `non_ai_stub` apart.

The baseline, measured in the same run, is the search a user would make by hand: every function the scan
considered whose name, body or file mentions mock/fake/dummy/stub/placeholder/TODO/not implemented. The
last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentforge.artifacts import ScanResult
from agentforge.scan import DEFAULT_MIN_CONFIDENCE, scan_repo
from agentforge.scan.archives import unpack_archive

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "prototypes"
GREP = re.compile(r"mock|fake|dummy|stub|placeholder|todo|not (yet )?implemented|notimplemented", re.IGNORECASE)
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


@dataclass(frozen=True)
class Found:
    """One function the scan reported (or, for the baseline, considered), as the labels address it."""

    file: str
    name: str
    line: int
    confidence: float
    text: str = ""


@dataclass
class Score:
    ai_found: int = 0
    ai_total: int = 0
    other_found: int = 0
    other_total: int = 0
    false_positives: list[str] = field(default_factory=list)
    hard_negatives: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    findings: int = 0

    def add(self, other: Score) -> None:
        for name in ("ai_found", "ai_total", "other_found", "other_total", "findings"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.false_positives += other.false_positives
        self.hard_negatives += other.hard_negatives
        self.missed += other.missed

    @property
    def recall(self) -> float:
        return self.ai_found / self.ai_total if self.ai_total else 1.0

    @property
    def precision(self) -> float:
        true = self.ai_found + self.other_found
        return true / (true + len(self.false_positives)) if true + len(self.false_positives) else 1.0

    def figures(self) -> dict[str, Any]:
        return {
            "ai_stub_recall": round(self.recall, 4),
            "ai_stub_found": self.ai_found,
            "ai_stub_total": self.ai_total,
            "non_ai_stub_found": self.other_found,
            "non_ai_stub_total": self.other_total,
            "precision": round(self.precision, 4),
            "false_positives": len(self.false_positives),
            "hard_negatives_flagged": len(self.hard_negatives),
            "findings": self.findings,
        }


def _matches(found: Found, label: dict[str, Any]) -> bool:
    if found.file != label["file"]:
        return False
    return found.name == label["name"] or abs(found.line - int(label["line"])) <= 1


def _match(left: list[Found], label: dict[str, Any]) -> Found | None:
    """The finding a label names: by (file, name) first, else by (file, line ± 1)."""
    exact = next((f for f in left if f.file == label["file"] and f.name == label["name"]), None)
    return exact or next((f for f in left if _matches(f, label)), None)


def _excluded(rel: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("/"):
            if rel.startswith(pattern) or f"/{pattern}" in f"/{rel}":
                return True
        elif fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pattern):
            return True
    return False


def score(repo: dict[str, Any], found: list[Found]) -> Score:
    """Match findings against one repository's labels; every finding is matched to at most one label."""
    out = Score()
    found = [f for f in found if not _excluded(f.file, repo.get("excluded_paths", []))]
    out.findings = len(found)
    left = list(found)
    for label in repo["positives"]:
        hit = _match(left, label)
        is_ai = label["category"] == "ai_stub"
        if is_ai:
            out.ai_total += 1
        else:
            out.other_total += 1
        if hit is not None:
            left.remove(hit)
            if is_ai:
                out.ai_found += 1
            else:
                out.other_found += 1
        elif is_ai:
            out.missed.append(f"{repo['repo']}:{label['file']}::{label['name']}")
    left = [f for f in left if not any(_matches(f, a) for a in repo["ambiguous"])]
    for f in left:
        where = f"{repo['repo']}:{f.file}::{f.name}"
        out.false_positives.append(where)
        if any(_matches(f, n) for n in repo["negatives"]):
            out.hard_negatives.append(where)
    return out


def findings(result: ScanResult) -> list[Found]:
    return [Found(m.path, m.name, m.span.start_line, m.confidence) for m in result.modules]


def baseline(result: ScanResult, root: Path) -> list[Found]:
    """The grep a user would run, at function granularity: every function the scan judged (reported or
    not) whose name, file path or source mentions a stub word."""
    out = []
    for c in [*result.modules, *result.candidates]:
        path = root / c.path
        try:
            source = path.read_bytes()
        except OSError:
            continue
        span = getattr(c, "span", None)
        body = source[span.start_byte : span.end_byte] if span is not None else b""
        if GREP.search(c.name) or GREP.search(c.path) or GREP.search(body.decode("utf-8", "replace")):
            out.append(Found(c.path, c.name, span.start_line if span is not None else 0, 1.0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS, help="folder with truth.json")
    ap.add_argument("--json-only", action="store_true", help="print only the final JSON line")
    args = ap.parse_args()
    truth = json.loads((args.corpus / "truth.json").read_text(encoding="utf-8"))
    say = (lambda *_: None) if args.json_only else print
    total, grep_total = Score(), Score()
    curve_scores = {t: Score() for t in THRESHOLDS}
    per_repo: dict[str, Any] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agentforge-scan-quality-") as tmp:
        for i, repo in enumerate(truth["repos"]):
            root = unpack_archive(args.corpus / repo["archive"], Path(tmp) / str(i)).root
            result = scan_repo(root, min_confidence=0.0, explain=True)
            every = findings(result)
            default = [f for f in every if f.confidence >= DEFAULT_MIN_CONFIDENCE]
            s = score(repo, default)
            total.add(s)
            grep_total.add(score(repo, baseline(result, root)))
            for t in THRESHOLDS:
                curve_scores[t].add(score(repo, [f for f in every if f.confidence >= t]))
            per_repo[repo["repo"]] = s.figures()
            say(
                f"{repo['repo']:55s} ai_stub {s.ai_found}/{s.ai_total}  non-AI {s.other_found}/{s.other_total}  "
                f"false positives {len(s.false_positives)} (hard negatives {len(s.hard_negatives)})"
            )
    seconds = time.perf_counter() - started
    say("")
    for where in total.missed:
        say(f"missed: {where}")
    for where in total.false_positives:
        hard = " (hard negative)" if where in total.hard_negatives else ""
        say(f"false positive{hard}: {where}")
    say("")
    say("threshold  recall  precision  false positives  hard negatives")
    curve = []
    for t, s in curve_scores.items():
        curve.append({"threshold": t, **s.figures()})
        fp, hard = len(s.false_positives), len(s.hard_negatives)
        say(f"  {t:5.2f}    {s.recall:6.3f}  {s.precision:8.3f}  {fp:15d}  {hard:14d}")
    figures = total.figures()
    grep = grep_total.figures()
    f1 = _f1(total.precision, total.recall)
    grep_f1 = _f1(grep_total.precision, grep_total.recall)
    say("")
    say(
        f"default threshold: ai_stub recall {total.recall:.3f} ({total.ai_found}/{total.ai_total}), precision "
        f"{total.precision:.3f}, hard negatives flagged {len(total.hard_negatives)}; grep baseline recall "
        f"{grep_total.recall:.3f}, precision {grep_total.precision:.3f}; F1 ratio {f1 / grep_f1 if grep_f1 else 0:.2f}x"
    )
    report = {
        "corpus": truth.get("corpus"),
        "repos": len(truth["repos"]),
        "seconds": round(seconds, 2),
        "default": figures,
        "f1": round(f1, 4),
        "baseline_grep": grep,
        "baseline_f1": round(grep_f1, 4),
        "f1_over_baseline": round(f1 / grep_f1, 3) if grep_f1 else None,
        "missed": total.missed,
        "false_positive_list": total.false_positives,
        "curve": curve,
        "per_repo": per_repo,
    }
    print(json.dumps(report, sort_keys=True))
    sys.stdout.flush()


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


if __name__ == "__main__":
    main()

"""The command line the loop benchmarks share: the options every one takes, and how a run ends (the table,
then the one JSON line)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def loop_parser(doc: str, data: Path, ks: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=data)
    parser.add_argument("--ks", default=ks, help="corrections per intent, comma-separated (nested)")
    parser.add_argument("--retriever", choices=["minilm", "mpnet", "bm25"], default="minilm")
    parser.add_argument("--recipe", default="cpu-default", help="training recipe (name in adapters/ or YAML path)")
    parser.add_argument("--epochs", help="training epochs per k, comma-separated (default: the recipe's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json-out", type=Path, help="also write the JSON line here")
    return parser


def run(
    parser: argparse.ArgumentParser,
    main: Callable[[argparse.Namespace], dict[str, Any]],
    table: Callable[[dict[str, Any]], None],
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    args = parser.parse_args()
    result = main(args)
    table(result)
    line = json.dumps(result)
    if args.json_out:
        args.json_out.write_text(line + "\n")
    print(line)

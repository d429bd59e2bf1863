"""Replay a labelled set as user traffic over HTTP: invoke, then correct, as a user of the app would."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentforge.errors import AgentforgeError


class TrafficSource(BaseModel):
    """One labelled file replayed against one module (an entry of a sample app's `data/replay.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    module: str
    file: str
    """JSONL file, relative to the replay file."""
    inputs: dict[str, str]
    """Module parameter → field of a JSONL row."""
    expected: str | None = None
    """Field holding the correct output; the simulated user submits it as a correction."""
    limit: int | None = None


class ReplayFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traffic: list[TrafficSource] = Field(default_factory=list)


class Served(BaseModel):
    module: str
    input: dict[str, Any]
    output: Any
    expected: Any = None
    trace_id: str
    rung: str
    fallback_used: bool


def load_replay(path: Path) -> tuple[ReplayFile, Path]:
    try:
        return ReplayFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))), path.parent
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise AgentforgeError(f"cannot read replay file {path}: {exc}") from exc


def read_rows(source: TrafficSource, base: Path) -> list[dict[str, Any]]:
    rows = []
    with (base / source.file).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows[: source.limit] if source.limit is not None else rows


def replay(
    client: httpx.Client,
    source: TrafficSource,
    rows: list[dict[str, Any]],
    *,
    correct: bool,
    on_row: Callable[[], None] | None = None,
) -> list[Served]:
    """Invoke the module for each row; when `correct`, post the expected value for the trace."""
    served = []
    for row in rows:
        inputs = {param: row[field] for param, field in source.inputs.items()}
        resp = client.post("/v1/invoke", json={"module": source.module, "input": inputs})
        resp.raise_for_status()
        body = resp.json()
        expected = row.get(source.expected) if source.expected else None
        if correct and source.expected is not None:
            client.post(f"/v1/traces/{body['trace_id']}/corrections", json={"value": expected}).raise_for_status()
        served.append(
            Served(
                module=body["module"],
                input=inputs,
                output=body["output"],
                expected=expected,
                trace_id=body["trace_id"],
                rung=body["rung"],
                fallback_used=body["fallback_used"],
            )
        )
        if on_row:
            on_row()
    return served

"""The micro-batcher: queued requests share passes by key; lone requests never wait; failures reach callers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Hashable, Sequence
from typing import Any

import pytest

from agentforge.llm.batching import MicroBatcher


class SlowRunner:
    """Each pass takes 50 ms, so requests arriving meanwhile queue up behind it."""

    def __init__(self) -> None:
        self.passes: list[tuple[Hashable, list[Any]]] = []
        self.lock = threading.Lock()
        self.started = threading.Event()
        """Set once the first pass is running."""

    def __call__(self, key: Hashable, payloads: Sequence[Any]) -> list[Any]:
        with self.lock:
            self.passes.append((key, list(payloads)))
        self.started.set()
        time.sleep(0.05)
        if "boom" in payloads:
            raise ValueError("pass failed")
        return [f"{key}:{p}" for p in payloads]


def test_concurrent_requests_are_batched_by_key_in_order() -> None:
    runner = SlowRunner()
    batcher = MicroBatcher(runner, max_batch=4)

    async def main() -> list[Any]:
        calls = [batcher.submit("a" if i % 3 else "b", i) for i in range(12)]
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    assert results == [f"{'a' if i % 3 else 'b'}:{i}" for i in range(12)]
    assert len(runner.passes) < 12
    for key, payloads in runner.passes:
        assert len(payloads) <= 4
        assert all(("a" if p % 3 else "b") == key for p in payloads)
        assert payloads == sorted(payloads)  # oldest first within a pass
    assert batcher.passes == len(runner.passes)


def test_a_lone_request_runs_at_once_in_a_pass_of_its_own() -> None:
    """No batching window: the worker takes what is queued and runs it (no timer to wait out, so no timing)."""
    passes: list[list[int]] = []

    def run(key: object, payloads: list[int]) -> list[int]:
        passes.append(list(payloads))
        return [p * 2 for p in payloads]

    batcher = MicroBatcher(run)
    assert asyncio.run(batcher.submit("k", 21)) == 42
    assert passes == [[21]] and batcher.passes == 1


def test_a_failing_pass_reaches_every_caller_in_it_and_the_next_pass_runs() -> None:
    runner = SlowRunner()
    batcher = MicroBatcher(runner, max_batch=8)

    async def main() -> list[Any]:
        first = asyncio.ensure_future(batcher.submit("k", "x"))
        assert await asyncio.to_thread(runner.started.wait, 10)  # "x" is running; the next two queue up
        rest = [batcher.submit("k", "boom"), batcher.submit("k", "y")]
        return await asyncio.gather(first, *rest, return_exceptions=True)

    first, boom, y = asyncio.run(main())
    assert first == "k:x"
    assert isinstance(boom, ValueError) and isinstance(y, ValueError)
    assert [payloads for _, payloads in runner.passes] == [["x"], ["boom", "y"]]
    assert asyncio.run(batcher.submit("k", "z")) == "k:z"


@pytest.mark.slow
def test_local_model_batched_generation_matches_one_by_one(agentforge_home: Any) -> None:
    from agentforge.config import Paths
    from agentforge.llm import Message, ModelRequest
    from agentforge.llm.local import LocalModel

    model = LocalModel.load(paths=Paths(home=agentforge_home), threads=1)
    questions = ["Name a colour.", "What is 2 + 2?", "Say hello in French.", "Name a fruit that is yellow."]
    requests = [ModelRequest(messages=[Message(role="user", content=q)], max_new_tokens=12) for q in questions]

    async def one_by_one() -> list[str]:
        return [(await model.request(r)).text for r in requests]

    async def together() -> list[str]:
        return [r.text for r in await asyncio.gather(*(model.request(r) for r in requests))]

    alone = asyncio.run(one_by_one())
    passes = model.batch_passes
    batched = asyncio.run(together())
    assert model.batch_passes - passes < len(requests)  # some requests shared a pass
    assert batched == alone

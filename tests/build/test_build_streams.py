"""Stubs that fake a stream, or hand their answer to a callback, stay what they were once built: a generator
yields the runtime's answer in pieces (or, with the runtime down, the prototype's own stream), and a callback
stub feeds the runtime's answer to the same callback. Run for real: Python in a child interpreter, JavaScript
in Node, both against a real HTTP server on 127.0.0.1 (see conftest)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentforge.build import build_app
from agentforge.plan import make_plan
from agentforge.scan import scan_repo

from .conftest import FakeRuntime

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
FILES = {
    "bot.py": (
        "import time\n\n\n"
        "def stream_reply(question: str):\n"
        '    """Fake streaming reply: the canned answer, letter by letter."""\n'
        '    msg = "This is a streamed response from the bot."\n'
        "    for char in msg:\n"
        "        yield char\n"
        "        time.sleep(0.001)\n\n\n"
        "async def astream_reply(question: str):\n"
        '    """Mock streaming reply."""\n'
        '    for word in ["Hello", " there"]:\n'
        "        yield word\n"
    ),
    "web/mockStream.mjs": (
        "export function* streamAnswer(question) {\n"
        '  for (const piece of ["Mock", " answer"]) {\n'
        "    yield piece;\n"
        "  }\n"
        "}\n\n"
        "export function correctStreamMock(text, push) {\n"
        '  const steps = ["translating...", "done (mock)"];\n'
        "  let i = 0;\n"
        "  const timer = setInterval(() => {\n"
        "    if (i < steps.length) push(steps[i++]);\n"
        "    else clearInterval(timer);\n"
        "  }, 5);\n"
        "}\n"
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("streams") / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    specs = scan_repo(root).modules
    assert {s.id for s in specs} == {
        "bot.py::stream_reply",
        "bot.py::astream_reply",
        "web/mockStream.mjs::streamAnswer",
        "web/mockStream.mjs::correctStreamMock",
    }
    assert next(s for s in specs if s.name == "correctStreamMock").feeds == "push"
    out = root.parent / "app"
    build_app(root, specs, make_plan(specs, root=str(root), base_model="test"), out)
    return out


PYTHON = (
    "import asyncio, json, sys\n"
    "sys.path.insert(0, '.')\n"
    "import bot\n"
    "async def both():\n"
    "    return [p async for p in bot.astream_reply('q')]\n"
    "print(json.dumps([list(bot.stream_reply('q')), asyncio.run(both())]))\n"
)


def _python(built: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PYTHON], cwd=built, capture_output=True, text=True, timeout=60)


def test_python_generators_stream_the_runtime_answer_in_pieces(built: Path, runtime: FakeRuntime) -> None:
    runtime.reply = lambda body: (200, {"output": "Two words" if "astream" in body["module"] else ["a", "b"]})
    run = _python(built)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [["a", "b"], ["Two ", "words"]]
    assert [r["body"]["module"] for r in runtime.requests] == ["bot.py::stream_reply", "bot.py::astream_reply"]


def test_python_generators_stream_the_prototype_when_the_runtime_is_down(built: Path, dead_url: str) -> None:
    run = _python(built)
    assert run.returncode == 0, run.stderr
    streamed, async_streamed = json.loads(run.stdout)
    assert "".join(streamed) == "This is a streamed response from the bot."
    assert async_streamed == ["Hello", " there"]


def _node(built: Path, script: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, "--input-type=module", "-e", script], cwd=built, capture_output=True, text=True, timeout=60
    )


SCRIPT = (
    'import { streamAnswer, correctStreamMock } from "./web/mockStream.mjs";\n'
    "const pushed = [];\n"
    'correctStreamMock("fix this", (piece) => pushed.push(piece));\n'
    "await new Promise((r) => setTimeout(r, 300));\n"
    'console.log(JSON.stringify([[...streamAnswer("q")], pushed]));\n'
)


@needs_node
def test_js_generator_and_callback_stub_take_the_runtime_answer(built: Path, runtime: FakeRuntime) -> None:
    runtime.reply = lambda body: (200, {"output": "Real answer" if "Answer" in body["module"] else "Fixed text"})
    run = _node(built, SCRIPT)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [["Real ", "answer"], ["Fixed ", "text"]]
    assert {"module": "web/mockStream.mjs::correctStreamMock", "input": {"text": "fix this"}} in [
        r["body"] for r in runtime.requests
    ]


@needs_node
def test_js_generator_and_callback_stub_fall_back_to_the_prototype(built: Path, dead_url: str) -> None:
    run = _node(built, SCRIPT)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [["Mock", " answer"], ["translating...", "done (mock)"]]

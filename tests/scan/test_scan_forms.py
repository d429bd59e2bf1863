"""The forms real prototypes fake smart work in, and the look-alikes that do real work, one small file each.

The sources are written here for the rules they exercise; the detector's quality on repositories nobody here
wrote is measured by `bench/scan_quality.py` (see test_scan_quality.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentforge.artifacts import ModuleSpec, ScanResult
from agentforge.scan import scan_repo

FILES = {
    # TypeScript and JSX: arrow functions, object members, hook handlers, fake latency, echoes, delegation
    "web/lib/fakeReply.ts": """\
export const simulateReply = (prompt: string): Promise<string> =>
  new Promise((resolve) => setTimeout(() => resolve(`Thanks for asking about ${prompt}, here is my answer.`), 800));

// For legacy callers
export const fakeReply = async (prompt: string): Promise<string> => {
  return simulateReply(prompt);
};
""",
    "web/lib/ai.js": """\
export const MockAI = {
  summarize: async ({ text }) => {
    await new Promise((r) => setTimeout(r, 500));
    return text.slice(0, 80) + "...";
  },
  tags(text) {
    const lower = text.toLowerCase();
    const tags = [];
    if (lower.includes("invoice")) tags.push("billing");
    if (lower.includes("late")) tags.push("shipping");
    return tags;
  },
};
""",
    "web/lib/service.ts": """\
const USE_MOCK = process.env.MOCK_AI === "true";

function mockAnalyze(text: string) {
  return { sentiment: "positive", summary: `The text "${text}" reads as upbeat.` };
}

export async function analyze(text: string) {
  if (USE_MOCK) {
    return mockAnalyze(text);
  }
  throw new Error("AI analysis is not implemented yet");
}

export async function translate(text: string, to: string) {
  if (USE_MOCK) {
    return mockAnalyze(text);
  }
  const res = await fetch("/api/translate", { method: "POST", body: JSON.stringify({ text, to }) });
  return res.json();
}
""",
    "web/components/Chat.jsx": """\
export function Chat({ onSend }) {
  const generateReply = (message) => {
    const replies = ["Great question!", "Let me think about that.", "Here is what I found."];
    return replies[Math.floor(Math.random() * replies.length)];
  };
  const badgeClass = () => (Math.random() > 0.5 ? "badge-a" : "badge-b");
  return <div onClick={() => onSend(generateReply("hi"))} className={badgeClass()} />;
}
""",
    # Python: a route echoing the request, a fake stream, a keyword map, plumbing, real work with a mock branch
    "api/main.py": """\
import os
import time

from fastapi import FastAPI

app = FastAPI()
MOCK = os.environ.get("MOCK_MODE") == "1"


@app.post("/chat")
def chat(message: str) -> dict:
    return {"reply": f"You said: {message}. I will get back to you with a real answer soon."}


@app.get("/health")
def health() -> dict:
    return {"status": "running"}


def stream_answer(question: str):
    answer = "This is a streamed answer from the assistant."
    for word in answer.split():
        yield word + " "
        time.sleep(0.05)


def type_out(text: str):
    for char in text:
        yield char
        time.sleep(0.01)


def classify_ticket(text: str) -> str:
    lowered = text.lower()
    if "refund" in lowered or "money back" in lowered:
        return "billing"
    if "broken" in lowered:
        return "support"
    return "other"


def summarize(text: str) -> str:
    if MOCK:
        return text[:100]
    from openai import OpenAI

    reply = OpenAI().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content or ""


def build_summary_prompt(text: str) -> str:
    return f"You are a careful editor. Summarize the following text in two sentences: {text}"


def format_reply(name: str) -> str:
    return f"Dear {name}, thank you for writing to us today."
""",
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = tmp_path_factory.mktemp("forms")
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return scan_repo(root, explain=True)


@pytest.fixture(scope="module")
def found(scanned: ScanResult) -> dict[str, ModuleSpec]:
    return {m.id: m for m in scanned.modules}


def codes(spec: ModuleSpec) -> set[str]:
    return {r.code for r in spec.reasons}


@pytest.mark.parametrize(
    ("module_id", "expected"),
    [
        ("web/lib/fakeReply.ts::simulateReply", {"simulated_latency", "template_echo"}),
        ("web/lib/fakeReply.ts::fakeReply", {"delegates_to_stub"}),
        ("web/lib/ai.js::MockAI.summarize", {"truncation", "simulated_latency", "mock_name"}),
        ("web/lib/ai.js::MockAI.tags", {"mock_name"}),
        ("web/lib/service.ts::analyze", {"delegates_to_stub"}),
        ("web/lib/service.ts::mockAnalyze", {"template_echo", "mock_name"}),
        ("web/components/Chat.jsx::Chat.generateReply", {"random_pick", "smart_name"}),
        ("api/main.py::chat", {"template_echo", "smart_route"}),
        ("api/main.py::stream_answer", {"fake_stream", "simulated_latency"}),
        ("api/main.py::classify_ticket", {"keyword_rules", "smart_name"}),
    ],
)
def test_the_forms_of_faking_are_found(found: dict[str, ModuleSpec], module_id: str, expected: set[str]) -> None:
    assert module_id in found, sorted(found)
    assert expected <= codes(found[module_id]), codes(found[module_id])
    assert found[module_id].confidence >= 0.5


@pytest.mark.parametrize(
    "module_id",
    [
        "web/lib/service.ts::translate",  # real fetch beside the mock branch
        "web/components/Chat.jsx::Chat",  # a component: it renders, it does not answer
        "web/components/Chat.jsx::Chat.badgeClass",  # cosmetic randomness
        "api/main.py::health",  # constant plumbing
        "api/main.py::type_out",  # streams its own input: a typing effect
        "api/main.py::summarize",  # a real model call with a mock branch
        "api/main.py::build_summary_prompt",  # builds a model's input
    ],
)
def test_look_alikes_doing_real_work_are_not(found: dict[str, ModuleSpec], module_id: str) -> None:
    assert module_id not in found


def test_explain_says_why_a_formatter_was_left_out(scanned: ScanResult) -> None:
    left_out = {c.id: c for c in scanned.candidates}
    formatter = left_out["api/main.py::format_reply"]  # echoes its input in canned text, and formats by name
    assert {"template_echo", "plumbing_name"} <= {r.code for r in formatter.reasons}
    assert "formats data" in formatter.why and formatter.confidence < 0.5


def test_delegation_names_the_stub_it_reaches(found: dict[str, ModuleSpec]) -> None:
    assert found["web/lib/fakeReply.ts::fakeReply"].calls == ["web/lib/fakeReply.ts::simulateReply"]
    assert found["web/lib/service.ts::analyze"].calls == ["web/lib/service.ts::mockAnalyze"]


def test_nested_and_member_functions_keep_their_spans(found: dict[str, ModuleSpec], scanned: ScanResult) -> None:
    root = Path(scanned.root)
    for spec in found.values():
        source = (root / spec.path).read_bytes()
        body = source[spec.body_span.start_byte : spec.body_span.end_byte]
        assert body and body in source[spec.span.start_byte : spec.span.end_byte]

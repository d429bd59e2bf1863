"""The JavaScript / TypeScript extractor on the `js_shop` fixture: detection, types, spans, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from tree_sitter import Parser

from agentforge.artifacts import Language, ModuleSpec, ScanResult
from agentforge.scan import scan_repo
from agentforge.scan.javascript import JavaScriptExtractor, TypeScriptExtractor
from agentforge.scan.javascript.syntax import descendants, grammar_for
from agentforge.scan.registry import BUILTIN_EXTRACTORS

from .conftest import FIXTURES

ROOT = FIXTURES / "js_shop"
LEADS = "src/api/leads.ts"
CHAT = "src/lib/chat.js"


@pytest.fixture(scope="module")
def scanned() -> ScanResult:
    return scan_repo(ROOT)


@pytest.fixture(scope="module")
def mods(scanned: ScanResult) -> dict[str, ModuleSpec]:
    return {m.id: m for m in scanned.modules}


def codes(spec: ModuleSpec) -> list[str]:
    return [r.code for r in spec.reasons]


def test_exact_set_of_stubs(mods: dict[str, ModuleSpec]) -> None:
    assert set(mods) == {
        f"{LEADS}::scoreLead",
        f"{LEADS}::findLead",
        f"{LEADS}::randomLead",
        f"{LEADS}::classifyTier",
        f"{LEADS}::sentimentOf",
        f"{LEADS}::draftReply",
        f"{LEADS}::summarize",
        f"{LEADS}::tagline",
        f"{LEADS}::pickGreeting",
        f"{LEADS}::rankLeads",
        f"{LEADS}::LeadService.lookup",
        f"{LEADS}::LeadService.enrich",
        f"{LEADS}::broken",
        f"{LEADS}::pipeline",
        "src/components/LeadCard.tsx::cardBlurb",
        "src/components/Widget.jsx::quoteOfTheDay",
        "src/lib/broken.js::good",
        f"{CHAT}::answer",
        f"{CHAT}::classify",
        f"{CHAT}::answerFn",
        f"{CHAT}::default",
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"{LEADS}::scoreLead", ["simulated_latency", "returns_literal"]),
        (f"{LEADS}::sentimentOf", ["simulated_latency", "returns_literal"]),
        (f"{LEADS}::findLead", ["returns_mock_data"]),
        (f"{LEADS}::randomLead", ["returns_mock_data"]),
        (f"{LEADS}::classifyTier", ["returns_literal"]),
        (f"{LEADS}::draftReply", ["not_implemented"]),
        (f"{LEADS}::summarize", ["not_implemented", "todo_marker"]),
        (f"{LEADS}::tagline", ["returns_literal", "placeholder_text"]),
        (f"{LEADS}::pickGreeting", ["random_pick"]),
        (f"{LEADS}::LeadService.enrich", ["delegates_to_stub"]),
        (f"{LEADS}::rankLeads", ["explicit_marker"]),
        (f"{LEADS}::pipeline", ["explicit_marker"]),
        ("src/components/LeadCard.tsx::cardBlurb", ["returns_literal", "placeholder_text"]),
        ("src/components/Widget.jsx::quoteOfTheDay", ["returns_mock_data"]),
        (f"{CHAT}::answer", ["returns_literal", "placeholder_text"]),
        (f"{CHAT}::default", ["not_implemented"]),
    ],
)
def test_reason_codes(mods: dict[str, ModuleSpec], name: str, expected: list[str]) -> None:
    assert set(expected) <= set(codes(mods[name])), codes(mods[name])
    assert 0.5 <= mods[name].confidence <= 1.0


def test_not_stubs_are_left_alone(mods: dict[str, ModuleSpec]) -> None:
    # a config getter, a formatter, a rule, real I/O, a count
    for name in ("apiUrl", "formatLead", "isVip", "fetchLeads", "LeadService.count"):
        assert f"{LEADS}::{name}" not in mods
    assert "src/components/LeadCard.tsx::default" not in mods
    assert "src/components/Widget.jsx::Widget" not in mods
    assert "src/components/Widget.jsx::welcome" not in mods
    assert f"{CHAT}::helper" not in mods


def test_test_minified_and_declaration_files_are_skipped(scanned: ScanResult) -> None:
    paths = {m.path for m in scanned.modules}
    assert not any("__tests__" in p or ".spec." in p or p.endswith((".d.ts", ".min.js")) for p in paths)
    extractor = TypeScriptExtractor()
    assert extractor.is_test_file("src/x.test.tsx")
    assert extractor.is_test_file("test/x.ts")
    assert extractor.is_test_file("types/globals.d.ts")
    assert not extractor.is_test_file("src/contest.ts")
    assert JavaScriptExtractor().is_test_file("dist/app.bundle.js")


def test_registered_and_languages(mods: dict[str, ModuleSpec]) -> None:
    kinds = {type(e) for e in BUILTIN_EXTRACTORS}
    assert {JavaScriptExtractor, TypeScriptExtractor} <= kinds
    assert mods[f"{LEADS}::findLead"].language is Language.TYPESCRIPT
    assert mods["src/components/LeadCard.tsx::cardBlurb"].language is Language.TYPESCRIPT
    assert mods[f"{CHAT}::answer"].language is Language.JAVASCRIPT
    assert mods["src/components/Widget.jsx::quoteOfTheDay"].language is Language.JAVASCRIPT


def test_static_examples(mods: dict[str, ModuleSpec]) -> None:
    assert mods[f"{LEADS}::scoreLead"].static_example == {"value": 0.87, "reasons": ["good fit"], "meta": {}}
    assert mods[f"{LEADS}::findLead"].static_example["name"] == "Ada"
    assert mods[f"{LEADS}::sentimentOf"].static_example == "positive"
    assert mods[f"{LEADS}::pickGreeting"].static_example == "Hi there!"
    assert mods["src/components/Widget.jsx::quoteOfTheDay"].static_example == "Ship it"
    assert mods[f"{LEADS}::classifyTier"].static_source == '"gold"'
    assert mods[f"{CHAT}::answer"].static_example == [{"role": "assistant", "text": "Thanks, we will get back to you"}]


LEAD_SCHEMA_PROPS = {"name", "email", "tier", "tags", "owner"}


def test_interface_alias_enum_union_optional_promise(mods: dict[str, ModuleSpec]) -> None:
    score = mods[f"{LEADS}::scoreLead"]
    lead = score.input_schema["properties"]["lead"]
    assert lead["title"] == "Lead" and set(lead["properties"]) == LEAD_SCHEMA_PROPS
    assert lead["required"] == ["name", "email", "tags"]
    assert lead["properties"]["tier"] == {"title": "Tier", "type": "string", "enum": ["gold", "silver", "bronze"]}
    assert lead["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert lead["properties"]["owner"] == {}  # recursion guard
    assert score.input_schema["required"] == ["lead"]
    assert score.input_schema["properties"]["strict"] == {"type": "boolean"}
    assert score.is_async
    out = score.output_schema  # Promise<Score> unwrapped, alias of an object literal type
    assert out["title"] == "Score"
    assert out["properties"]["reasons"] == {"type": "array", "items": {"type": "string"}}
    assert out["properties"]["meta"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert mods[f"{LEADS}::sentimentOf"].output_schema == {
        "title": "Sentiment",
        "type": "string",
        "enum": ["positive", "negative"],
    }
    reply = mods[f"{LEADS}::draftReply"]
    assert reply.input_schema["properties"]["tone"] == {
        "enum": ["formal", "casual"],
        "type": "string",
        "default": "formal",
    }
    assert reply.input_schema["required"] == ["leads"]
    assert reply.input_schema["properties"]["leads"]["type"] == "array"
    assert reply.output_schema == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert mods[f"{LEADS}::findLead"].output_annotation == "Lead"


def test_jsdoc_types(mods: dict[str, ModuleSpec]) -> None:
    answer = mods[f"{CHAT}::answer"]
    message = answer.input_schema["properties"]["message"]
    assert message["title"] == "Message"
    assert message["properties"]["score"] == {"type": "number"}
    assert message["required"] == ["role", "text"]
    assert answer.input_schema["properties"]["history"] == {"type": "array", "items": {"type": "string"}}
    assert answer.output_schema["type"] == "array"
    assert answer.output_schema["items"]["title"] == "Message"
    assert answer.output_annotation == "Promise<Array<Message>>"
    assert mods[f"{CHAT}::classify"].output_schema == {"enum": ["spam", "ham"], "type": "string"}
    assert mods["src/components/Widget.jsx::quoteOfTheDay"].output_schema == {"type": "string"}


def test_unresolvable_types_warn(scanned: ScanResult, mods: dict[str, ModuleSpec]) -> None:
    broken = mods[f"{LEADS}::broken"]
    assert broken.input_schema["properties"]["x"] == {}
    assert broken.output_schema == {}
    messages = [w.message for w in scanned.warnings if w.path == LEADS]
    assert any("`Unknown` is not declared" in m for m in messages)


def test_intent(mods: dict[str, ModuleSpec]) -> None:
    assert mods[f"{LEADS}::scoreLead"].intent == "Score a lead from its profile."
    assert mods[f"{LEADS}::findLead"].intent == "find lead"
    assert mods[f"{CHAT}::classify"].intent == "classify"
    assert mods["src/components/Widget.jsx::quoteOfTheDay"].intent == "The quote of the day."


def test_calls_between_stubs(mods: dict[str, ModuleSpec]) -> None:
    assert mods[f"{LEADS}::pipeline"].calls == [f"{LEADS}::classifyTier", f"{LEADS}::findLead"]
    assert mods[f"{LEADS}::findLead"].called_by == [f"{LEADS}::pipeline"]


def test_syntax_error_gives_warning_and_partial_result(scanned: ScanResult, mods: dict[str, ModuleSpec]) -> None:
    assert any(w.path == "src/lib/broken.js" and "syntax error" in w.message for w in scanned.warnings)
    assert mods["src/lib/broken.js::good"].static_example == "Thanks, we will get back to you soon."


def test_spans_cover_declaration_and_body(mods: dict[str, ModuleSpec]) -> None:
    for spec in mods.values():
        source = (ROOT / spec.path).read_bytes()
        whole = source[spec.span.start_byte : spec.span.end_byte]
        body = source[spec.body_span.start_byte : spec.body_span.end_byte]
        assert spec.span.start_byte <= spec.body_span.start_byte < spec.body_span.end_byte <= spec.span.end_byte
        assert body in whole
        if spec.path.endswith(".ts") and not spec.name.startswith("LeadService."):
            assert whole.startswith(b"export ")
    assert source_of(mods[f"{LEADS}::classifyTier"]) == b'"gold"'  # concise arrow: the expression itself
    assert source_of(mods[f"{LEADS}::findLead"]).startswith(b"{")


def source_of(spec: ModuleSpec) -> bytes:
    return (ROOT / spec.path).read_bytes()[spec.body_span.start_byte : spec.body_span.end_byte]


@pytest.mark.parametrize("path", sorted({LEADS, CHAT, "src/components/LeadCard.tsx", "src/components/Widget.jsx"}))
def test_replacing_body_span_keeps_file_parseable(mods: dict[str, ModuleSpec], path: str) -> None:
    source = (ROOT / path).read_bytes()
    specs = sorted((m for m in mods.values() if m.path == path), key=lambda m: -m.body_span.start_byte)
    for spec in specs:
        replacement = b"{ return agentforge.invoke(); }"
        if not source[spec.body_span.start_byte : spec.body_span.end_byte].startswith(b"{"):
            replacement = b"agentforge.invoke()"
        source = source[: spec.body_span.start_byte] + replacement + source[spec.body_span.end_byte :]
    tree = Parser(grammar_for(path)).parse(source)
    assert not tree.root_node.has_error
    assert not any(n.is_error or n.is_missing for n in descendants(tree.root_node))


def test_scanning_never_crashes_on_odd_input(tmp_path: Path) -> None:
    files = {
        "a.ts": "export const f = (): Weird<,> => 1;\n"
        "export function g(x: string): { [k: string]: number } { return {}; }\n",
        "b.js": "/** @returns {Promise<>} */\nexport function h(x) { return 1; }\n",
        "c.mjs": "export const k = async () => { await sleep(5); return 'x'; };\n",
        "d.cts": "export function e(x: string): [string, number] { return ['a', 1]; }\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    result = scan_repo(tmp_path, min_confidence=0.0)  # trivial constants on neutral names: read, not reported
    found = {m.id: m for m in result.modules}
    assert "simulated_latency" in [r.code for r in found["c.mjs::k"].reasons]
    assert found["a.ts::g"].output_schema == {"type": "object", "additionalProperties": {"type": "number"}}
    assert found["d.cts::e"].output_schema["prefixItems"] == [{"type": "string"}, {"type": "number"}]
    assert "b.js::h" in found


def test_destructured_and_jsdoc_optional_params(tmp_path: Path) -> None:
    (tmp_path / "p.tsx").write_text(
        "interface P { title: string }\nexport const Card = ({ title }: P): string => 'TBD';\n"
    )
    (tmp_path / "q.js").write_text(
        "/**\n * @param {string} a\n * @param {number} [b]\n * @param {boolean=} c\n */\n"
        "export function f(a, b, c) { return 1; }\n"
    )
    found = {m.id: m for m in scan_repo(tmp_path, min_confidence=0.0).modules}
    card = found["p.tsx::Card"]
    assert card.params[0].name == "arg0" and card.params[0].json_schema["title"] == "P"
    assert {"returns_literal", "placeholder_text"} <= {r.code for r in card.reasons}
    f = found["q.js::f"]
    assert [(p.name, p.required) for p in f.params] == [("a", True), ("b", False), ("c", False)]
    assert f.params[2].json_schema == {"type": "boolean"}

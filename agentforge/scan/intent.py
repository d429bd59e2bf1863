"""What a function is for, read from its words: name, owner, file and folder, docs, parameters and route.

A body that answers from hard-coded content is a stub only when the function is meant to do smart work
(classify, summarize, reply, ...) or says it is a mock; the same body on plumbing (a health check, a theme
getter, a class-name helper) is just constant code. These vocabularies are the words real prototypes use for
each, matched on whole words, or on word starts for the longer stems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from agentforge.artifacts import DetectionReason
from agentforge.scan.extractor import reason

SMART_STEMS = (
    "summar", "classif", "categori", "translat", "generat", "rewrit", "paraphras", "refin", "polish",
    "proofread", "grammar", "sentiment", "emotion", "keyword", "caption", "headline", "slogan", "tagline",
    "ideat", "brainstorm", "suggest", "recommend", "insight", "advic", "advis", "analy", "evaluat", "assess",
    "critiq", "review", "predict", "forecast", "diagnos", "triag", "moderat", "toxic", "answer", "respond",
    "chat", "conversation", "assistant", "copilot", "persona", "transcri", "diariz", "speech", "semantic",
    "repurpos", "personaliz", "explain", "tutor", "intelligen", "prioritiz", "prioritis", "recogni", "humaniz",
    "planner", "recap", "outline", "story", "poem", "essay", "quiz",
)  # fmt: skip
"""Stems of smart work: what people build a model call for."""
SMART_WORDS = frozenset({"ai", "ml", "nlp", "llm", "llms", "gpt", "bot", "chatbot", "agent", "genai", "tag", "tags",
                         "tagging", "tagger", "mood", "tone", "seo", "intent", "ask", "qa", "faq", "smart",
                         "genie", "ner", "summary", "summaries", "plan", "idea", "ideas", "reply", "replies",
                         "draft", "drafts", "completion", "completions"})  # fmt: skip
NOT_SMART = frozenset({"generator", "generators", "analyzer", "analyzers", "translator", "translators"})
"""Words that start like smart work and name machinery: a generator function, a semantic analyzer."""
AI_WORDS = frozenset({"ai", "llm", "llms", "gpt", "openai", "gemini", "claude", "anthropic", "mistral", "llama",
                      "ollama", "groq", "agent", "agents", "bot", "chatbot", "assistant", "copilot", "genai",
                      "neural", "nlp", "ml", "persona", "cohere", "huggingface", "deepseek"})  # fmt: skip
MOCK_WORDS = frozenset({"mock", "mocks", "mocked", "fake", "faked", "fakes", "dummy", "stub", "stubs", "stubbed",
                        "placeholder", "placeholders", "simulate", "simulated", "simulates", "simulation", "canned",
                        "hardcoded", "pretend", "lorem", "toy", "sham"})  # fmt: skip
MOCK_PHRASE = re.compile(
    r"\b(mock(ed|s)?|fake[ds]?|dummy|stub(bed)?|placeholder|simulat\w*|canned|hard[- ]?coded|pretend\w*|lorem "
    r"ipsum|not (yet )?(really )?implemented|in a real (implementation|app)|replace (this |it )?with (a |an |the )?"
    r"(real|actual)|for now|for demo|demo purposes|toy)\b",
    re.IGNORECASE,
)
"""What an author writes beside code that only pretends."""
PLUMBING_WORDS = frozenset({
    "health", "healthz", "healthcheck", "ping", "status", "version", "config", "configure", "configuration",
    "settings", "setting", "env", "environment", "flag", "flags", "feature", "theme", "themes", "style", "styles",
    "css", "class", "classes", "classname", "classnames", "cn", "color", "colors", "layout", "header", "headers",
    "cookie", "cookies", "auth", "login", "logout", "signin", "signout", "signup", "token", "tokens", "password",
    "hash", "salt", "id", "ids", "uuid", "guid", "nonce", "timestamp", "date", "now", "month", "year", "clock",
    "format", "formatter", "parse", "parser", "serialize", "deserialize", "stringify", "validate", "validator",
    "sanitize", "escape", "unescape", "debounce", "throttle", "delay", "sleep", "wait", "timeout", "retry", "log",
    "logger", "logging", "debug", "init", "initialize", "setup", "teardown", "connect", "disconnect", "db",
    "database", "cache", "storage", "persist", "upload", "download", "delete", "remove", "clear", "reset", "toggle",
    "mount", "unmount", "render", "index", "home", "page", "provider", "providers", "registry", "util", "utils",
    "helper", "helpers", "noop", "error", "errors", "exception", "boundary", "constructor", "derived", "mode",
    "modes", "url", "urls", "router", "routes", "middleware", "cors", "metrics", "icon", "icons", "avatar",
    "animation", "animate", "sprite", "scroll", "resize", "width", "height", "size", "mobile", "breakpoint",
    "loading", "spinner", "placeholder_image", "locale", "currency", "timezone", "permissions", "role", "roles",
})  # fmt: skip
"""Words of plumbing: answers that are constant by design."""
PLUMBING_HEADS = frozenset({
    "format", "parse", "render", "serialize", "deserialize", "validate", "sanitize", "clean", "normalize",
    "escape", "unescape", "convert", "map", "dump", "log", "print", "wrap", "encode", "decode", "to", "from",
    "load", "save", "read", "write", "init", "setup", "reset", "toggle", "set", "is", "has", "should", "can",
    "on", "handle", "use", "with", "apply", "merge", "split", "strip", "pack", "unpack", "filter", "sort",
    "build", "compose", "construct", "assemble", "prepare", "cleanup", "trim", "augment", "enforce",
})  # fmt: skip
"""First words of a name that say it reshapes, stores or routes data, whatever the noun after them."""
PROMPT_WORDS = frozenset({"prompt", "prompts", "instruction", "instructions", "template", "templates", "system",
                          "messages", "payload", "request", "headers", "schema", "tools", "block", "blocks",
                          "input", "inputs", "context"})  # fmt: skip
"""Nouns of what feeds a model call: a function building one serves real AI work, it does not fake it."""
PLUMBING_FILES = frozenset({"errors", "error", "exceptions", "middleware", "middlewares", "config", "settings",
                            "health", "logging", "logger", "constants", "migrations", "auth", "db",
                            "database"})  # fmt: skip
"""File and folder names of plumbing: a canned answer there is an error message or a setting."""
RULE_WORDS = frozenset({"rule", "rules", "regex", "regexes", "ruleset"})
"""Words of code that says it applies rules: real, deterministic logic by its own account."""
PROMPT_PARAMS = frozenset({"prompt", "query", "question", "message", "utterance", "user_message", "user_input",
                           "user_query", "instruction", "instructions", "user_msg", "msg"})  # fmt: skip

_SMART = re.compile(r"^(" + "|".join(sorted(set(SMART_STEMS), key=len, reverse=True)) + ")")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def _words(name: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _SPLIT.split(_CAMEL.sub(" ", name)) if w)


def words(name: str) -> list[str]:
    """`generateAIData` → generate, ai, data; `_mock_title` → mock, title; `correct-stream.mock.ts` too
    (a repository repeats its names: each is split once)."""
    return list(_words(name))


@lru_cache(maxsize=65536)
def intended(name: str) -> bool:
    """Whether a name names smart work or a mock."""
    return any(w in MOCK_WORDS or is_smart(w) for w in _words(name))


def is_smart(word: str) -> bool:
    if word in NOT_SMART:
        return False
    return word in SMART_WORDS or word in AI_WORDS or (len(word) >= 4 and _SMART.match(word) is not None)


@dataclass(slots=True)
class Intent:
    """The words around a function that say what it is for."""

    name: str
    owner: str = ""
    """The enclosing class, object, component or function, if any."""
    path: str = ""
    doc: str = ""
    """Docstring or JSDoc, and the comments above and inside the function."""
    params: list[str] = field(default_factory=list)
    route: str = ""
    """The HTTP path a route handler serves."""

    def reasons(self) -> list[DetectionReason]:
        """Evidence for and against smart work; each with its weight (log-odds) in the reason's confidence."""
        name = words(self.name)
        owner = words(self.owner)
        folders = [w for part in self.path.split("/") for w in words(part)]
        found: list[DetectionReason] = []
        mock_name = next((w for w in name + owner if w in MOCK_WORDS), None)
        if mock_name is not None:
            found.append(_hint("mock_name", f"Its name says it is {mock_name!r}.", 2.5))
        elif (w := next((w for w in folders if w in MOCK_WORDS), None)) is not None:
            found.append(_hint("mock_file", f"It lives in a file or folder named {w!r}.", 1.5))
        doc_hit = MOCK_PHRASE.search(self.doc) if self.doc else None
        if doc_hit is not None:
            found.append(_hint("mock_comment", f"Its docs or comments say {doc_hit.group(0)!r}.", 1.5))
        smart = [w for w in name if is_smart(w)]
        if smart:
            found.append(_hint("smart_name", f"Its name names smart work ({', '.join(smart)}).", 1.5))
        elif (w := next((w for w in owner if is_smart(w)), None)) is not None:
            found.append(_hint("smart_owner", f"It belongs to {self.owner}, which names smart work ({w}).", 0.8))
        ai_path = next((w for w in folders if w in AI_WORDS), None)
        if ai_path is not None and not smart:
            found.append(_hint("ai_file", f"It lives in an AI file or folder ({ai_path}).", 0.7))
        route = [w for w in words(self.route) if is_smart(w)]
        if route:
            found.append(_hint("smart_route", f"It serves the route {self.route} ({', '.join(route)}).", 1.0))
        prompt = next((p for p in self.params if p.lower() in PROMPT_PARAMS), None)
        if prompt is not None and not smart:
            found.append(_hint("prompt_input", f"It takes a `{prompt}`, as a model call does.", 0.5))
        plumbing = [w for w in name if w in PLUMBING_WORDS]
        feeds = [w for w in name if w in PROMPT_WORDS]
        if mock_name is not None:
            return found
        if not smart and (w := next((w for w in folders if w in PLUMBING_FILES), None)) is not None:
            found.append(_hint("plumbing_file", f"It lives in a file or folder of plumbing ({w}).", -1.5))
        ruled = next((w for w in name + owner + folders if w in RULE_WORDS), None)
        if ruled is not None:
            found.append(_hint("rule_based", f"Its name, class or file says it is rule-based ({ruled}).", -1.5))
        if feeds:
            detail = f"Its name says it builds input for a model ({', '.join(feeds)}), not the model's answer."
            found.append(_hint("feeds_a_model", detail, -2.5))
        elif name and name[0] in PLUMBING_HEADS and smart:
            found.append(_hint("plumbing_name", f"Its name says it {name[0]}s data, whatever the data is.", -2.5))
        elif plumbing and not smart:
            found.append(_hint("plumbing_name", f"Its name names plumbing ({', '.join(plumbing)}).", -3.0))
        return found


def _hint(code: str, detail: str, weight: float) -> DetectionReason:
    return reason(code, detail, weight)

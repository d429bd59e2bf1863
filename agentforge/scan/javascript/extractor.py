"""The JavaScript and TypeScript extractors: index every file's types, then judge every function.

One class serves both languages (two registered instances), because the reading of code is the same and
only the grammar and the `language` label differ. Code is parsed by tree-sitter, never executed.

`ModuleSpec.body_span` contract: for a block body it is the `statement_block`, braces included; for a concise
arrow (`const f = () => "x"`) it is the expression after `=>` (parentheses included when written), so `build`
must replace it with an expression, or with a `{ ... }` block, which is also valid there. `span` is the whole
declaration, `export` and `const` included (a class method: the method definition).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

from agentforge.artifacts import JsonSchema, Language, ModuleSpec, Param
from agentforge.scan.extractor import Detection, Extraction, SourceFile
from agentforge.scan.javascript.detect import TODO, comments_above, is_async
from agentforge.scan.javascript.sites import FileFacts, Site
from agentforge.scan.javascript.syntax import Static, literal, span, text
from agentforge.scan.javascript.types import SchemaResolver, TypeIndex

TEST_DIRS = frozenset({"test", "tests", "__tests__"})
TEST_NAME = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
GENERATED_NAME = re.compile(r"(\.min\.[cm]?js|\.d\.[cm]?ts|\.bundle\.[cm]?js|\.chunk\.[cm]?js)$")
JSDOC_PARAM = re.compile(r"@(?:param|arg|argument)\s+\{([^}]*)\}\s+(\[?)([\w$]+)")
JSDOC_RETURNS = re.compile(r"@returns?\s+\{([^}]*)\}")
_PRAGMA = re.compile(r"^(//|/\*)\s*(eslint|@ts-|prettier|istanbul|agentforge:|@agentforge)", re.IGNORECASE)


class ScriptExtractor:
    """Reads one family of suffixes (JS or TS) with the grammar each suffix needs."""

    def __init__(self, language: Language, suffixes: tuple[str, ...]) -> None:
        self._language = language
        self._suffixes = suffixes

    @property
    def language(self) -> Language:
        return self._language

    @property
    def suffixes(self) -> tuple[str, ...]:
        return self._suffixes

    def is_test_file(self, rel: str) -> bool:
        """Tests, and files nobody wrote by hand (minified code, declaration files, bundles), are skipped."""
        parts = rel.split("/")
        name = parts[-1]
        if TEST_DIRS & set(parts[:-1]):
            return True
        return bool(TEST_NAME.search(name) or GENERATED_NAME.search(name))

    def extract(self, files: Sequence[SourceFile]) -> Extraction:
        """The per-file pipeline of `scan/cache_script.py`, over the whole file set at once."""
        from agentforge.scan.cache import assemble
        from agentforge.scan.cache_script import ScriptPipeline

        return assemble(files, ScriptPipeline(self, max_file_seconds=None, keep_facts=False).full(files))

    def _spec(
        self, site: Site, detection: Detection[Static], types: TypeIndex, source: bytes, warn: Callable[[str], None]
    ) -> ModuleSpec:
        module_id = f"{site.rel}::{site.name}"

        def located(message: str) -> None:
            warn(f"{module_id}: {message}")

        resolver = SchemaResolver(types, located)
        jsdoc = _jsdoc(site)
        params = _params(site, resolver, jsdoc, located)
        returns = site.node.child_by_field_name("return_type")
        returns_doc = JSDOC_RETURNS.search(jsdoc)
        if returns is not None:
            output_annotation: str | None = text(returns).lstrip(":").strip()
            output_schema = resolver.schema(returns)
        elif returns_doc is not None:
            output_annotation = returns_doc.group(1).strip()
            output_schema = resolver.jsdoc(output_annotation)
        else:
            output_annotation, output_schema = None, {}
            located("no return type (annotation or JSDoc @returns); the output schema is empty")
        static = detection.static
        outer = site.outer
        return ModuleSpec(
            id=module_id,
            name=site.name,
            language=self._language,
            path=site.rel,
            span=span(outer),
            body_span=span(site.body),
            is_async=is_async(site),
            feeds=detection.feeds,
            params=params,
            input_schema={
                "type": "object",
                "properties": {p.name: p.json_schema for p in params},
                "required": [p.name for p in params if p.required],
            },
            output_annotation=output_annotation,
            output_schema=output_schema,
            intent=_intent(site, jsdoc),
            static_example=static.value if static is not None else None,
            static_source=text(detection.static_node) if detection.static_node is not None else None,
            reasons=detection.reasons,
            confidence=detection.confidence,
            source_hash=hashlib.sha256(source[outer.start_byte : outer.end_byte]).hexdigest(),
        )


def _jsdoc(site: Site) -> str:
    above = [c for c in comments_above(site.outer) if text(c).startswith("/**")]
    return text(above[-1]) if above else ""


def _params(site: Site, resolver: SchemaResolver, jsdoc: str, warn: Callable[[str], None]) -> list[Param]:
    documented = {m.group(3): (m.group(1).strip(), bool(m.group(2))) for m in JSDOC_PARAM.finditer(jsdoc)}
    node = site.node.child_by_field_name("parameters") or site.node.child_by_field_name("parameter")
    if node is None:
        return []
    children = [node] if node.type == "identifier" else [c for c in node.named_children if c.type != "comment"]
    out: list[Param] = []
    for param in children:
        pattern, annotation, default = param, None, None
        optional = param.type == "optional_parameter"
        if param.type in ("required_parameter", "optional_parameter"):
            pattern = param.child_by_field_name("pattern") or param
            annotation = param.child_by_field_name("type")
            default = param.child_by_field_name("value")
        elif param.type == "assignment_pattern":
            pattern = param.child_by_field_name("left") or param
            default = param.child_by_field_name("right")
        rest = pattern.type == "rest_pattern"
        name = text(pattern.named_children[0] if rest and pattern.named_children else pattern)
        if pattern.type in ("object_pattern", "array_pattern"):
            name = f"arg{len(out)}"  # a destructured parameter has no name of its own
        if name == "this":
            continue
        written: str | None = None
        schema: JsonSchema = {}
        if annotation is not None:
            written = text(annotation).lstrip(":").strip()
            schema = resolver.schema(annotation)
        elif name in documented:
            written, doc_optional = documented[name]
            schema = resolver.jsdoc(written)
            optional = optional or doc_optional or written.endswith("=")
        else:
            warn(f"parameter `{name}` has no type (annotation or JSDoc @param); its schema is empty")
        if rest and schema.get("type") != "array":
            schema = {"type": "array", "items": schema}
        value = literal(default) if default is not None else None
        if value is not None:
            schema = schema | {"default": value.value}
        out.append(Param(name=name, annotation=written, json_schema=schema, required=not (optional or rest or default)))
    return out


def _intent(site: Site, jsdoc: str) -> str:
    """The JSDoc description's first paragraph, then plain comments above, then the name in words."""
    if jsdoc:
        lines = [ln.strip().lstrip("/*").strip() for ln in jsdoc.removesuffix("*/").splitlines()]
        paragraph: list[str] = []
        for line in lines:
            if line.startswith("@") or (not line and paragraph):
                break
            if line:
                paragraph.append(line)
        if paragraph:
            return " ".join(paragraph)
    notes = [
        text(c) for c in comments_above(site.outer) if not _PRAGMA.match(text(c)) and not text(c).startswith("/**")
    ]
    words = [TODO.sub("", n.lstrip("/*").removesuffix("*/")).strip(" :-") for n in notes]
    if any(words):
        return " ".join(w for w in words if w)
    split = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", site.name.rsplit(".", 1)[-1]).replace("_", " ")
    return " ".join(split.lower().split())


CallRef = tuple[tuple[str, ...], str | None]
"""A call as plain data, resolvable without its tree (so another process can): the ids it may name in its
own file, innermost scope first, and the name it imports, if it does."""


def call_ref(name: str, site: Site, file: FileFacts) -> CallRef:
    if name.startswith("this.") and site.scope:
        return (f"{site.rel}::{site.scope}.{name[5:]}",), None
    parts = site.name.split(".")[:-1]
    local = tuple(f"{site.rel}::{'.'.join([*parts[:i], name])}" for i in range(len(parts), -1, -1))
    return local, name if name in file.imports else None


def resolve(ref: CallRef, by_id: dict[str, ModuleSpec], by_name: dict[str, list[str]]) -> str | None:
    """The stub a call names: a method of the same class (`this.m`), a function of an enclosing scope or
    of the file, or an imported function with one stub of that name in the repository."""
    local, imported = ref
    for candidate in local:
        if candidate in by_id:
            return candidate
    if imported is not None and len(by_name.get(imported, [])) == 1:
        return by_name[imported][0]
    return None


def _target(
    name: str, site: Site, file: FileFacts, by_id: dict[str, ModuleSpec], by_name: dict[str, list[str]]
) -> str | None:
    return resolve(call_ref(name, site, file), by_id, by_name)


class JavaScriptExtractor(ScriptExtractor):
    def __init__(self) -> None:
        super().__init__(Language.JAVASCRIPT, (".js", ".mjs", ".cjs", ".jsx"))


class TypeScriptExtractor(ScriptExtractor):
    def __init__(self) -> None:
        super().__init__(Language.TYPESCRIPT, (".ts", ".mts", ".cts", ".tsx"))

"""The spans are what `build` rewrites: they must cut exactly the definition and exactly its body."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from agentforge.artifacts import ScanResult
from agentforge.scan import scan_repo

SHOP = Path(__file__).parent / "fixtures" / "shop"


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    parts = [node.args, node.returns or ast.Constant(None), *node.decorator_list]
    return "".join(ast.dump(part) for part in parts)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
    return found


def test_replacing_each_body_keeps_valid_python_and_the_signature(shop: ScanResult) -> None:
    for module in shop.modules:
        source = (SHOP / module.path).read_bytes()
        body = module.body_span
        new = source[: body.start_byte] + b'raise RuntimeError("replaced")' + source[body.end_byte :]
        before, after = _functions(ast.parse(source)), _functions(ast.parse(new))
        assert _signature(after[module.name]) == _signature(before[module.name]), module.id
        assert ast.unparse(after[module.name].body[-1]) == "raise RuntimeError('replaced')"


def test_spans_cover_the_definition_with_its_decorators(shop: ScanResult) -> None:
    for module in shop.modules:
        source = (SHOP / module.path).read_bytes()
        lines = source.splitlines()
        span, body = module.span, module.body_span
        definition = source[span.start_byte : span.end_byte]
        assert definition.lstrip().startswith((b"def ", b"async def ", b"@")), module.id
        assert span.start_byte <= body.start_byte < body.end_byte <= span.end_byte
        assert lines[span.start_line - 1].strip() == definition.splitlines()[0].strip()
        assert span.end_line == body.end_line
        assert module.source_hash == hashlib.sha256(definition).hexdigest()
    rewrite = next(m for m in shop.modules if m.name == "rewrite")
    source = (SHOP / rewrite.path).read_bytes()
    assert source[rewrite.span.start_byte :].startswith(b"@dynamic\ndef rewrite(")
    assert source[rewrite.body_span.start_byte : rewrite.body_span.end_byte] == (
        b"return text.upper() + draft_reply(text)"
    )


def test_async_and_one_line_definitions(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("async def ask(q: str) -> str: return 'soon'\n")
    [module] = scan_repo(tmp_path).modules
    assert module.is_async
    assert (module.body_span.start_byte, module.body_span.end_byte) == (30, 43)
    assert module.body_span.start_line == module.body_span.end_line == 1

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from collections.abc import Callable

import pytest

from agentforge.build import rewrite_python
from agentforge.errors import BuildError

from .conftest import SpecFor

ASSISTANT = b'''"""Support desk assistant (static prototype)."""

from __future__ import annotations

from enum import Enum


class Intent(str, Enum):
    LOST_CARD = "lost_card"
    BILLING = "billing"


def classify_intent(message: str) -> Intent:
    """Classify ..."""
    # TODO: replace with a real model
    return Intent.LOST_CARD


def helper(x: int) -> int:
    return x + 1


def draft_reply(message: str, intent: Intent) -> str:
    greeting = "Hello"
    return f"{greeting}, we are on it."  # canned
'''
PATH = "support_desk/assistant.py"
IMPORT = b"from agentforge.runtime.client import call_module\n"


Rewrite = Callable[..., bytes]


@pytest.fixture
def rewrite(make_spec: SpecFor) -> Rewrite:
    """`rewrite(source, *qualnames, path=PATH)`: the file with those functions' stubs rewritten."""

    def run(source: bytes, *names: str, path: str = PATH) -> bytes:
        return rewrite_python(source, [make_spec(source, name, path) for name in names], path=path)

    return run


def test_rewrites_a_stub_exactly_as_documented(rewrite: Rewrite) -> None:
    out = rewrite(ASSISTANT, "classify_intent").decode()
    expected = '''
def classify_intent(message: str) -> Intent:
    """Classify ..."""
    # agentforge: served by the agentforge runtime (module support_desk/assistant.py::classify_intent).
    # The prototype's original static value below is the documented last-resort fallback,
    # returned only when the runtime cannot be reached.
    def _agentforge_static() -> Intent:
        return Intent.LOST_CARD
    return call_module(
        "support_desk/assistant.py::classify_intent",
        {"message": message},
        returns=Intent,
        fallback=_agentforge_static,
    )
'''
    assert expected in out
    assert out.startswith(
        '"""Support desk assistant (static prototype)."""\n\nfrom __future__ import annotations\n'
        + IMPORT.decode()
        + "\nfrom enum import Enum\n"
    )


def test_every_byte_outside_the_bodies_and_the_import_is_kept(make_spec: SpecFor) -> None:
    specs = [make_spec(ASSISTANT, name, PATH) for name in ("draft_reply", "classify_intent")]
    out = rewrite_python(ASSISTANT, specs, path=PATH)
    spans = sorted((s.body_span.start_byte, s.body_span.end_byte) for s in specs)
    insert_at = ASSISTANT.index(b"\n", ASSISTANT.index(b"from __future__")) + 1
    cuts = [0, insert_at, spans[0][0], spans[0][1], spans[1][0], spans[1][1], len(ASSISTANT)]
    kept = [
        ASSISTANT[: cuts[1]],
        ASSISTANT[cuts[1] : cuts[2]],
        ASSISTANT[cuts[3] : cuts[4]],
        ASSISTANT[cuts[5] :],
    ]
    pattern = re.escape(kept[0]) + re.escape(IMPORT) + re.escape(kept[1])
    pattern += b"(.+?)" + re.escape(kept[2]) + b"(.+?)" + re.escape(kept[3])
    match = re.fullmatch(pattern, out, re.DOTALL)
    assert match is not None
    assert all(b"call_module(" in body for body in match.groups())
    assert out.count(b"from agentforge.runtime.client import") == 1
    assert b'        return f"{greeting}, we are on it."  # canned\n    return call_module(' in out


def test_async_stub_awaits_the_async_client(rewrite: Rewrite) -> None:
    source = b"""import asyncio


class Bot:
    async def reply(self, message: str, *history: str, tone: str = "warm", **extra: str) -> "str":
        await asyncio.sleep(0.1)
        return "Thanks!"
"""
    out = rewrite(source, "Bot.reply", path="bot.py").decode()
    assert out.startswith("from agentforge.runtime.client import acall_module\nimport asyncio\n")
    assert '        async def _agentforge_static() -> "str":\n            await asyncio.sleep(0.1)\n' in out
    assert "        return await acall_module(\n" in out
    assert '            {"message": message, "history": history, "tone": tone, "extra": extra},\n' in out
    assert "            returns=str,\n" in out


def test_sync_and_async_stubs_share_one_import(rewrite: Rewrite) -> None:
    source = b"def a() -> int:\n    return 1\n\n\nasync def b() -> int:\n    return 2\n"
    out = rewrite(source, "a", "b", path="m.py")
    assert out.startswith(b"from agentforge.runtime.client import acall_module, call_module\ndef a()")


@pytest.mark.parametrize("body", ["pass", "...", "raise NotImplementedError", 'raise NotImplementedError("soon")'])
def test_placeholder_bodies_get_a_raising_fallback(body: str, rewrite: Rewrite) -> None:
    source = f'def score(text: str) -> float:\n    """Score it."""\n    {body}\n'.encode()
    out = rewrite(source, "score", path="m.py").decode()
    assert (
        "    def _agentforge_static() -> float:\n"
        '        raise RuntimeError("agentforge: the runtime could not be reached and m.py::score has no '
        'static fallback")\n'
    ) in out
    assert '    """Score it."""\n    # agentforge: served' in out


def test_docstring_only_body_gets_a_raising_fallback(rewrite: Rewrite) -> None:
    out = rewrite(b'def f(x):\n    """Only a docstring."""\n', "f", path="m.py").decode()
    assert "raise RuntimeError(" in out
    assert "returns=None," in out


def test_multi_line_strings_keep_their_value(rewrite: Rewrite) -> None:
    source = b'''def banner(name: str) -> str:
    text = """Dear customer,
  we will call you back.
"""
    return text
'''
    out = rewrite(source, "banner", path="m.py")
    original = ast.literal_eval(source.split(b"text = ", 1)[1].split(b"\n    return")[0].decode())
    inner = next(n for n in ast.walk(ast.parse(out)) if isinstance(n, ast.FunctionDef) and n.name.startswith("_"))
    assign = inner.body[0]
    assert isinstance(assign, ast.Assign) and isinstance(assign.value, ast.Constant)
    assert assign.value.value == original


def test_import_goes_below_shebang_and_comments_when_there_is_no_docstring(rewrite: Rewrite) -> None:
    source = b"#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nimport os\n\n\ndef f() -> str:\n    return os.sep\n"
    out = rewrite(source, "f", path="m.py")
    assert out.startswith(b"#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n" + IMPORT + b"import os\n")


def test_import_after_a_docstring_that_ends_the_header(rewrite: Rewrite) -> None:
    source = b'"""Doc."""\ndef f() -> int:\n    return 1\n'
    assert rewrite(source, "f", path="m.py").startswith(b'"""Doc."""\n' + IMPORT + b"def f()")


def test_windows_newlines_and_tabs_are_respected(rewrite: Rewrite) -> None:
    source = b"class C:\r\n\tdef f(self, x: int) -> int:\r\n\t\ty = x\r\n\t\treturn y\r\n"
    out = rewrite(source, "C.f", path="m.py")
    inner = b"\r\n\t\tdef _agentforge_static() -> int:\r\n\t\t\ty = x\r\n\t\t\treturn y\r\n"
    assert inner + b"\t\treturn call_module(" in out
    assert b'\t\t\t{"x": x},\r\n' in out
    assert b"\n" not in out.replace(b"\r\n", b"")
    compile(out, "m.py", "exec")


def test_a_body_on_the_def_line_moves_to_its_own_block(rewrite: Rewrite) -> None:
    out = rewrite(b"def f(a): x = a; return x\n", "f", path="m.py").decode()
    assert out.startswith(IMPORT.decode() + "def f(a): \n    # agentforge: served")
    assert "    def _agentforge_static():\n        x = a; return x\n" in out
    compile(out, "m.py", "exec")


def test_methods_decorators_and_nested_indentation(rewrite: Rewrite) -> None:
    source = textwrap.dedent("""\
        import functools


        class Desk:
            @functools.cache
            def lookup(self, key: str) -> dict[str, int]:
                if key:
                    return {
                "a": 1}
                return {}

            @classmethod
            def make(cls) -> "Desk":
                return cls()
        """).encode()
    out = rewrite(source, "Desk.lookup", "Desk.make", path="m.py").decode()
    assert '            {"key": key},\n            returns=dict[str, int],\n' in out
    assert '            if key:\n                return {\n            "a": 1}\n            return {}\n' in out
    assert "            returns=Desk,\n" in out and "{}," in out
    compile(out, "m.py", "exec")


def test_a_changed_file_is_refused(make_spec: SpecFor) -> None:
    spec = make_spec(ASSISTANT, "classify_intent", PATH)
    changed = ASSISTANT.replace(b"Intent.LOST_CARD\n\n\ndef helper", b"Intent.BILLING\n\n\ndef helper")
    with pytest.raises(BuildError, match=r"file changed since scan.*rescan"):
        rewrite_python(changed, [spec], path=PATH)


def test_a_body_span_that_is_not_a_function_body_is_refused(make_spec: SpecFor) -> None:
    spec = make_spec(ASSISTANT, "classify_intent", PATH)
    spec.body_span.start_byte += 1
    with pytest.raises(BuildError, match="is not the body of a function"):
        rewrite_python(ASSISTANT, [spec], path=PATH)


def test_parameters_the_def_does_not_bind_are_refused(make_spec: SpecFor) -> None:
    spec = make_spec(ASSISTANT, "classify_intent", PATH, params=["message", "tone"])
    with pytest.raises(BuildError, match="parameters tone are not in the def"):
        rewrite_python(ASSISTANT, [spec], path=PATH)


def test_nested_stubs_are_refused(make_spec: SpecFor) -> None:
    source = b"def outer() -> int:\n    def inner() -> int:\n        return 1\n    return inner()\n"
    outer = make_spec(source, "outer", "m.py")
    inner = make_spec(b"def inner() -> int:\n        return 1\n", "inner", "m.py")
    start = source.index(b"def inner")
    inner.span.start_byte += start
    inner.span.end_byte += start
    inner.body_span.start_byte += start
    inner.body_span.end_byte += start
    inner.source_hash = hashlib.sha256(source[inner.span.start_byte : inner.span.end_byte]).hexdigest()
    with pytest.raises(BuildError, match="overlap"):
        rewrite_python(source, [outer, inner], path="m.py")

"""Fixtures for build and client tests: hand-made specs located with tree-sitter, and a real HTTP runtime
stand-in on 127.0.0.1 (no mocks of httpx: the client talks to a socket)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import tree_sitter_python
from tree_sitter import Language as TSLanguage
from tree_sitter import Node, Parser

from agentforge.artifacts import ByteSpan, Language, ModuleSpec, Param

_PARSER = Parser(TSLanguage(tree_sitter_python.language()))


def _span(node: Node) -> ByteSpan:
    return ByteSpan(
        start_byte=node.start_byte,
        end_byte=node.end_byte,
        start_line=node.start_point.row + 1,
        end_line=node.end_point.row + 1,
    )


def _field(node: Node, name: str) -> Node:
    child = node.child_by_field_name(name)
    assert child is not None, f"{node.type} has no {name}"
    return child


def _functions(node: Node, prefix: str = "") -> Iterator[tuple[str, Node]]:
    """(qualified name, function_definition) for every function at module level and in classes."""
    for child in node.named_children:
        target = child.child_by_field_name("definition") if child.type == "decorated_definition" else child
        if target is None or target.type not in ("function_definition", "class_definition"):
            continue
        name = prefix + (_field(target, "name").text or b"").decode()
        if target.type == "function_definition":
            yield name, target
        else:
            yield from _functions(_field(target, "body"), f"{name}.")


def spec_for(source: bytes, qualname: str, path: str = "app.py", params: list[str] | None = None) -> ModuleSpec:
    """A spec the way the scanner writes one: whole def span + hash, body block span, parameter names
    (the bound `self`/`cls` of a method left out unless `params` says otherwise)."""
    func = dict(_functions(_PARSER.parse(source).root_node))[qualname]
    outer = func.parent if func.parent is not None and func.parent.type == "decorated_definition" else func
    if params is None:
        names = [
            (p.text or b"").decode().split(":")[0].split("=")[0].strip().lstrip("*")
            for p in _field(func, "parameters").named_children
            if p.type not in ("keyword_separator", "positional_separator")
        ]
        params = names[1:] if "." in qualname and names[:1] in (["self"], ["cls"]) else names
    return ModuleSpec(
        id=f"{path}::{qualname}",
        name=qualname,
        language=Language.PYTHON,
        path=path,
        span=_span(outer),
        body_span=_span(_field(func, "body")),
        is_async=func.children[0].type == "async",
        params=[Param(name=name) for name in params],
        source_hash=hashlib.sha256(source[outer.start_byte : outer.end_byte]).hexdigest(),
    )


SpecFor = Callable[..., ModuleSpec]


@pytest.fixture
def make_spec() -> SpecFor:
    """`make_spec(source, qualname, path="app.py", params=None)`: see `spec_for`."""
    return spec_for


Reply = Callable[[dict[str, Any]], tuple[int, Any]]


@dataclass
class FakeRuntime:
    """Answers `POST /v1/invoke` with `reply(body)` -> (status, JSON value or plain text)."""

    url: str
    reply: Reply = lambda body: (200, {"output": None})
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="session")
def _runtime_server() -> Iterator[FakeRuntime]:
    fake = FakeRuntime(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status, payload = fake.reply(body)
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def runtime(_runtime_server: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    """The shared server, with a fresh reply and request log, and the client's env pointing at it."""
    _runtime_server.reply = FakeRuntime.reply
    _runtime_server.requests.clear()
    monkeypatch.setenv("AGENTFORGE_URL", _runtime_server.url)
    monkeypatch.delenv("AGENTFORGE_API_KEY", raising=False)
    monkeypatch.delenv("AGENTFORGE_TIMEOUT", raising=False)
    return _runtime_server


@pytest.fixture
def dead_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """A loopback URL nothing listens on (the port was free a moment ago): connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AGENTFORGE_URL", url)
    return url

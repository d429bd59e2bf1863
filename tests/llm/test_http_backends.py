"""Request shapes and error mapping of the HTTP back ends, against in-process transports (the real servers
are exercised in tests/backends: vLLM's CPU build)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentforge.config import Paths
from agentforge.errors import ConfigError, ModelError, ModelUnavailableError
from agentforge.llm import Message, ModelRequest, run_sync
from agentforge.llm.backends import BackendConfig, open_backend
from agentforge.llm.ollama import OllamaModel, adapter_tag
from agentforge.llm.openai_compat import OpenAICompatModel

MESSAGES = [Message(role="system", content="Classify."), Message(role="user", content="charged twice")]


def _completion(content: str) -> dict[str, Any]:
    return {"choices": [{"message": {"content": content}}], "usage": {"prompt_tokens": 11, "completion_tokens": 2}}


class Recorder:
    def __init__(self, answer: Any, status: int = 200) -> None:
        self.answer, self.status = answer, status
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content) if request.content else {})
        return httpx.Response(self.status, json=self.answer)


def test_vllm_uses_structured_outputs_and_addresses_adapters_by_name() -> None:
    rec = Recorder(_completion("billing"))
    model = OpenAICompatModel("http://vllm:8000", "base", flavor="vllm", transport=httpx.MockTransport(rec))
    response = run_sync(model.request(ModelRequest(messages=MESSAGES, choices=["billing", "bug", "billing"])))
    assert (response.text, response.prompt_tokens, response.completion_tokens) == ("billing", 11, 2)
    assert rec.bodies[0]["structured_outputs"] == {"choice": ["billing", "bug"]}
    assert rec.bodies[0]["model"] == "base"
    schema = {"type": "object", "properties": {"amount": {"type": "number"}}}
    run_sync(model.request(ModelRequest(messages=MESSAGES, json_schema=schema)))
    assert rec.bodies[1]["structured_outputs"] == {"json": schema}
    with pytest.raises(ModelError, match="not loaded"):
        run_sync(model.request(ModelRequest(messages=MESSAGES, adapter="m@v1")))


def test_hosted_api_uses_response_format_and_unwraps_labels() -> None:
    rec = Recorder(_completion('{"label": "bug"}'))
    model = OpenAICompatModel("https://api.example/v1", "gpt-x", api_key="k", transport=httpx.MockTransport(rec))
    assert run_sync(model.request(ModelRequest(messages=MESSAGES, choices=["billing", "bug"]))).text == "bug"
    format_ = rec.bodies[0]["response_format"]
    assert format_["json_schema"]["schema"]["properties"]["label"]["enum"] == ["billing", "bug"]
    with pytest.raises(ModelUnavailableError, match="cannot load the local adapter"):
        model.load_adapter("m@v1", Path("/nowhere"))


@pytest.mark.parametrize(
    ("status", "error"), [(503, ModelUnavailableError), (429, ModelUnavailableError), (400, ModelError)]
)
def test_http_errors_map_to_model_errors(status: int, error: type[Exception]) -> None:
    model = OpenAICompatModel("http://x/v1", "m", transport=httpx.MockTransport(Recorder({"error": "no"}, status)))
    with pytest.raises(error, match=str(status)):
        run_sync(model.request(ModelRequest(messages=MESSAGES)))


def test_unreachable_server_is_unavailable() -> None:
    model = OpenAICompatModel("http://127.0.0.1:9/v1", "m", timeout_s=2)
    with pytest.raises(ModelUnavailableError, match="could not be reached"):
        run_sync(model.request(ModelRequest(messages=MESSAGES)))


def test_ollama_chat_format_and_adapter_models(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.url.path == "/api/chat":
            body = json.loads(request.content)
            content = '"bug"' if body.get("format", {}).get("enum") else "hello"
            return httpx.Response(200, json={"message": {"content": content}, "prompt_eval_count": 5, "eval_count": 1})
        return httpx.Response(404 if request.method == "HEAD" else 200, json={"status": "success"})

    model = OllamaModel(
        "smollm2:135m", transport=httpx.MockTransport(handle), async_transport=httpx.MockTransport(handle)
    )
    answer = run_sync(model.request(ModelRequest(messages=MESSAGES, choices=["billing", "bug"])))
    assert (answer.text, answer.prompt_tokens) == ("bug", 5)
    (tmp_path / "adapter_model.safetensors").write_bytes(b"weights")
    model.load_adapter("app.py::classify@abc", tmp_path)
    assert model.has_adapter("app.py::classify@abc")
    blob = "/api/blobs/sha256:" + hashlib.sha256(b"weights").hexdigest()
    assert seen == [("POST", "/api/chat"), ("HEAD", blob), ("POST", blob), ("POST", "/api/create")]
    tag = adapter_tag("smollm2:135m", "app.py::classify@abc")
    assert tag.startswith("smollm2-app.py-classify-abc-") and tag.endswith(":latest")
    with pytest.raises(ModelError, match="no adapter_model"):
        model.load_adapter("other@v1", tmp_path / "missing")


def test_backend_config_from_env_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"AGENTFORGE_BACKEND": "vllm", "AGENTFORGE_BACKEND_URL": "http://gpu:8000/v1", "AGENTFORGE_MODEL": "llama"}
    config = BackendConfig.from_env(env)
    assert (config.kind, config.url, config.model) == ("vllm", "http://gpu:8000/v1", "llama")
    assert BackendConfig.from_env(env, model="qwen").model == "qwen"
    assert BackendConfig.from_env({}).kind == "local"
    assert BackendConfig.from_env({"AGENTFORGE_BACKEND": "openai"}).url == "https://api.openai.com/v1"
    with pytest.raises(ConfigError, match="invalid back-end settings"):
        BackendConfig.from_env({"AGENTFORGE_BACKEND": "tpu"})
    with pytest.raises(ConfigError, match="takes no base URL"):
        BackendConfig.from_env({}, base_url="http://x")
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ConfigError, match="MY_KEY is not set"):
        open_backend(BackendConfig(kind="openai", model="gpt", api_key_env="MY_KEY"), Paths(home=Path("/tmp")))
    monkeypatch.setenv("MY_KEY", "sk-1")
    remote = open_backend(BackendConfig(kind="vllm", model="m"), Paths(home=Path("/tmp")))
    assert isinstance(remote, OpenAICompatModel) and remote.base_url == "http://127.0.0.1:8000/v1"


def test_backend_specs_parse() -> None:
    config = BackendConfig.parse("vllm:smollm2-135m-instruct@http://gpu:8000/v1")
    assert (config.kind, config.model, config.url) == ("vllm", "smollm2-135m-instruct", "http://gpu:8000/v1")
    assert BackendConfig.parse("openai:gpt-4o-mini").url == "https://api.openai.com/v1"
    for bad in ("openai", "tpu:x", "local:m@http://x"):
        with pytest.raises(ConfigError):
            BackendConfig.parse(bad)

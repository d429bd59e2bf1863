"""Start vLLM's OpenAI-compatible server as a separate process (its own virtualenv), for tests, benchmarks and
local trials of the `vllm` back end. Production runs vLLM the same way, on its own machine.

The settings are what vLLM's CPU build needs to serve agentforge adapters: `--enable-lora` with a rank bound,
`VLLM_ALLOW_RUNTIME_LORA_UPDATING=True` for `/v1/load_lora_adapter`, and a KV-cache size in GiB.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from agentforge.errors import ModelUnavailableError

MAX_LORA_RANK = 16
DEFAULT_PYTHON = Path(".venv-vllm") / "bin" / "python"


def vllm_python(root: Path | None = None) -> Path:
    """The interpreter of the vLLM virtualenv: `$AGENTFORGE_VLLM_PYTHON`, else `.venv-vllm` under `root`."""
    configured = os.environ.get("AGENTFORGE_VLLM_PYTHON")
    return Path(configured) if configured else (root or Path.cwd()) / DEFAULT_PYTHON


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def vllm_server(
    model_dir: Path,
    served_name: str,
    log: Path,
    *,
    python: Path | None = None,
    kv_cache_gib: int = 2,
    timeout: float = 600,
) -> Iterator[str]:
    """A running server for `model_dir` (a safetensors model folder); yields its `/v1` URL, stops it after."""
    python = python or vllm_python()
    if not python.is_file():
        raise ModelUnavailableError(f"vLLM's interpreter {python} is missing; run scripts/setup_vllm.sh")
    port = _free_port()
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": str(kv_cache_gib), "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"}
    command = [
        str(python),
        "-m",
        "vllm.entrypoints.openai.api_server",
        *("--model", str(model_dir), "--served-model-name", served_name),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--max-model-len", "2048", "--enable-lora", "--max-lora-rank", str(MAX_LORA_RANK)),
    ]
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise ModelUnavailableError(f"vLLM exited {proc.returncode}:\n{log.read_text()[-4000:]}")
                try:
                    if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise ModelUnavailableError(f"vLLM did not start in {timeout:.0f} s:\n{log.read_text()[-4000:]}")
                time.sleep(1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

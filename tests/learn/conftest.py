from __future__ import annotations

from pathlib import Path

import pytest

from agentforge.config import Paths


@pytest.fixture(scope="session")
def smollm2_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model as a safetensors directory, converted from the wheel's GGUF once and kept in
    pytest's cache folder (so later sessions skip the ~20 s conversion) when the cache plugin is on."""
    for module in ("torch", "transformers", "peft"):
        pytest.importorskip(module)
    from agentforge.errors import ModelUnavailableError
    from agentforge.llm.weights import DEFAULT_MODEL, default_gguf_path, resolve_model_dir

    try:
        default_gguf_path()
    except ModelUnavailableError as exc:
        pytest.skip(str(exc))
    cache = getattr(request.config, "cache", None)
    home = Path(cache.mkdir("agentforge-home")) if cache is not None else tmp_path_factory.mktemp("home")
    return resolve_model_dir(DEFAULT_MODEL, Paths(home=home))

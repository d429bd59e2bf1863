"""The real default model, loaded once per test session (the first load converts the GGUF, ~20-30 s)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentforge.config import Paths

if TYPE_CHECKING:
    from agentforge.llm.local import LocalModel


@dataclass
class LoadedModel:
    model: LocalModel
    paths: Paths
    first_load_s: float


@pytest.fixture(scope="session")
def loaded_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedModel]:
    from agentforge.llm.local import LocalModel

    paths = Paths(home=Path(tmp_path_factory.mktemp("agentforge-home")))
    start = time.perf_counter()
    # one thread: batch-1 decoding is no faster with two on these machines, and two threads slow down
    # ten-fold when another process competes for the cores (tests may run beside other jobs)
    model = LocalModel.load(paths=paths, threads=1)
    yield LoadedModel(model, paths, time.perf_counter() - start)


@pytest.fixture(scope="session")
def local_model(loaded_model: LoadedModel) -> LocalModel:
    return loaded_model.model

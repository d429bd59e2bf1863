"""Shared fixtures. Every test that takes `store` (or `store_url`) runs on SQLite and on PostgreSQL.

PostgreSQL isolation: each test gets a database of its own (`CREATE DATABASE af_test_<uuid>` through an
autocommit connection to the admin database), dropped `WITH (FORCE)` afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentforge.store import Store
from agentforge.store.testing import postgres_admin_url, postgres_available, temporary_postgres_database

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session", autouse=True)
def agentforge_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole session (and the servers it starts), kept across sessions in pytest's
    cache folder so the default model's GGUF is converted once, not once per test file."""
    if "AGENTFORGE_HOME" not in os.environ:
        cache = getattr(request.config, "cache", None)
        home = Path(cache.mkdir("agentforge-home")) if cache is not None else tmp_path_factory.mktemp("home")
        os.environ["AGENTFORGE_HOME"] = str(home)
    return Path(os.environ["AGENTFORGE_HOME"])


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    url = postgres_admin_url()
    if not postgres_available(url):
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {url}; CI must test the store on it")
        pytest.skip(f"PostgreSQL is not reachable at {url} (set AGENTFORGE_TEST_POSTGRES_URL)")
    return url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty store: a SQLite file in a not-yet-existing directory, or a fresh PG database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'agentforge.db'}"
        return
    admin: str = request.getfixturevalue("postgres_admin")
    with temporary_postgres_database(admin) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


@pytest.fixture(scope="session")
def minilm_retriever() -> object:
    """The real all-MiniLM-L6-v2 retriever, shared by the session; its wheel missing fails in CI, skips elsewhere."""
    from agentforge.errors import ModelUnavailableError
    from agentforge.runtime.embeddings import MiniLMRetriever, minilm_dir

    try:
        minilm_dir()
    except ModelUnavailableError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    return MiniLMRetriever()


@pytest.fixture(scope="session")
def bench_retriever() -> str:
    """The `--retriever` a CI-sized loop benchmark runs with: MiniLM when its wheel is installed, else BM25."""
    from agentforge.errors import ModelUnavailableError
    from agentforge.runtime.embeddings import minilm_dir

    try:
        minilm_dir()
    except ModelUnavailableError:
        return "bm25"
    return "minilm"

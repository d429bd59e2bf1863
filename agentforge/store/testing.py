"""Helpers for tests that need a real store: a throw-away PostgreSQL database per use."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from agentforge.store.engine import parse_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    """`$AGENTFORGE_TEST_POSTGRES_URL`, else the local server with trust auth."""
    return os.environ.get("AGENTFORGE_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def postgres_available(admin_url: str | None = None) -> bool:
    engine = create_engine(parse_url(admin_url or postgres_admin_url()), poolclass=NullPool)
    try:
        with engine.connect():
            return True
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


@contextmanager
def temporary_postgres_database(admin_url: str | None = None, prefix: str = "af_test_") -> Iterator[str]:
    """Create an empty database next to the admin URL's one, yield its URL, then drop it (even if in use).

    Each use is a database of its own, so tests never see each other's rows or leftover data.
    """
    admin = parse_url(admin_url or postgres_admin_url())
    name = f"{prefix}{uuid.uuid4().hex}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()

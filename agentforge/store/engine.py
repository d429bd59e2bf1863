"""Engine creation (SQLite pragmas, real transactions) and `alembic upgrade head`, run in code."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from agentforge.errors import StoreError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
BUSY_TIMEOUT_MS = 30_000
WRITE = {"agentforge_write": True}
"""Execution option for write transactions: on SQLite they start with BEGIN IMMEDIATE."""
_MIGRATION_LOCK = 0x61_66_5F_6D_69_67  # "af_mig": serialises concurrent `upgrade head` on PostgreSQL


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL; a bare `postgresql://` gets the psycopg 3 driver (psycopg2 is not a dependency)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid store URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"unsupported store backend {parsed.get_backend_name()!r} in {safe_url(parsed)}: "
            "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def create_store_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        if _is_memory(url):
            # One shared connection so every session sees the same in-memory database (tests, scratch).
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif url.database and not url.database.startswith("file:"):
            try:
                Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the directory for {url.database}: {exc}") from exc
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot create an engine for {safe_url(url)}: {exc}") from exc
    if url.get_backend_name() == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


def _enable_wal(cursor: Any) -> None:
    """WAL persists in the file, so only the first opener switches; switching needs a lock that SQLite
    does not wait for (busy_timeout does not apply), so openers racing on a new file retry briefly."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _install_sqlite_hooks(engine: Engine) -> None:
    """Pragmas on every connection, and BEGIN emitted by us so SELECTs and DDL are transactional too.

    Python's sqlite3 (legacy mode) only begins before DML; we take over: reads run in BEGIN (a stable
    snapshot under WAL), writes in BEGIN IMMEDIATE (take the write lock up front and wait up to
    busy_timeout for it, instead of failing with SQLITE_BUSY when a read upgrades to a write).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("agentforge_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def migrate(engine: Engine) -> None:
    """`alembic upgrade head` on this engine, in one transaction, safe to run from several processes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    try:
        with engine.execution_options(**WRITE).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except CommandError as exc:
        raise StoreError(
            f"cannot migrate the store at {safe_url(engine.url)}: {exc} (was it created by a newer agentforge?)"
        ) from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {safe_url(engine.url)}: {exc}") from exc

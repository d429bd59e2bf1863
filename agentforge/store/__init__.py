"""agentforge.store: durable state on SQLAlchemy 2 + Alembic; SQLite (WAL) by default, PostgreSQL at scale."""

from agentforge.store.store import Store

__all__ = ["Store"]

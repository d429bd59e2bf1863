"""Alembic environment. Migrations run only through `Store.open()`, which passes its connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from agentforge.store.tables import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection) or context.is_offline_mode():
    raise RuntimeError("agentforge migrations run through Store.open(url), which provides the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy-and-move
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

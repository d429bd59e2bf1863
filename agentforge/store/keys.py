"""API keys per workspace, stored as a visible prefix and a hash (the GitHub-token pattern).

A key is `afk_<12 hex>.<43 url-safe chars>`: the prefix identifies the row and is safe to show and log; the
secret part carries 256 random bits, so a plain sha256 of the whole key is as strong as a slow password hash
and cheap enough to check on every request. The key is shown once, at creation; only its hash is stored,
compared in constant time. A revoked key stays listed (who had access, until when) and is refused at once.
Every check gives the same error, so a caller learns nothing about which part was wrong."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from agentforge.artifacts import utcnow
from agentforge.errors import AuthError, NotFoundError, StoreError
from agentforge.store.store import Store
from agentforge.store.tables import ApiKeyRow

KEY_PATTERN = re.compile(r"^(afk_[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$")
REFUSED = "invalid or revoked API key"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    workspace_id: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _public(row: ApiKeyRow) -> ApiKey:
    return ApiKey(row.key_id, row.workspace_id, row.name, row.created_at, row.revoked_at)


class KeyStore:
    """Create, list, revoke and check the API keys of a store's workspaces."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, workspace_id: str, name: str | None = None) -> tuple[ApiKey, str]:
        """A new key for the workspace (created if new): its record and the key itself, which is never
        stored and cannot be shown again."""
        key_id = f"afk_{secrets.token_hex(6)}"
        key = f"{key_id}.{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            key_id=key_id, workspace_id=workspace_id, secret_hash=_hash(key), name=name, created_at=utcnow()
        )
        with self.store.transaction(write=True) as session:
            self.store._touch_workspace(session, workspace_id)
            session.add(row)
            session.flush()
            record = _public(row)
        return record, key

    def list(self, workspace_id: str) -> list[ApiKey]:
        stmt = select(ApiKeyRow).where(ApiKeyRow.workspace_id == workspace_id).order_by(ApiKeyRow.created_at)
        with self.store.transaction() as session:
            return [_public(row) for row in session.scalars(stmt)]

    def revoke(self, workspace_id: str, key_id: str) -> ApiKey:
        """Refuse the key from its next request on; revoking twice keeps the first time."""
        with self.store.transaction(write=True) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None or row.workspace_id != workspace_id:
                raise NotFoundError(f"no API key {key_id!r} in workspace {workspace_id!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            session.flush()
            return _public(row)

    def workspace_of(self, key: str) -> str:
        """The workspace a presented key belongs to; `AuthError` when it is malformed, unknown or revoked.

        Checked on every request, so it reads one row with a plain SQL query (no ORM session)."""
        match = KEY_PATTERN.match(key)
        if match is None:
            raise AuthError(REFUSED)
        stmt = select(ApiKeyRow.workspace_id, ApiKeyRow.secret_hash, ApiKeyRow.revoked_at).where(
            ApiKeyRow.key_id == match.group(1)
        )
        try:
            with self.store.engine.connect() as conn:
                row = conn.execute(stmt).first()
        except SQLAlchemyError as exc:
            raise StoreError(f"store operation failed: {exc}") from exc
        stored = row.secret_hash if row is not None else _hash("")
        if not hmac.compare_digest(stored, _hash(key)) or row is None or row.revoked_at is not None:
            raise AuthError(REFUSED)
        return str(row.workspace_id)

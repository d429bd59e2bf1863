"""Idempotency keys in the store, so every node of a service sees the same ones (the Stripe pattern).

The first request with a key claims it (a row without an answer); its answer is saved when it ends. A repeat
with the same request gets that answer again; with another request, a refusal; while the first is still
running, a conflict. A failed first request (5xx) releases the key so the client can retry. Keys live a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from agentforge.artifacts import utcnow
from agentforge.errors import StoreError
from agentforge.store.store import Store
from agentforge.store.tables import IdempotencyRow

KEY_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Claim:
    """What a request holding an idempotency key should do."""

    outcome: str
    """`new` (answer it, then `complete`), `replay` (send the saved answer), `mismatch` or `pending`."""
    status: int | None = None
    content_type: str | None = None
    body: str | None = None


class IdempotencyKeys:
    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(self, caller: str, key: str, request_hash: str) -> Claim:
        now = utcnow()
        for _ in range(2):
            try:
                with self.store.transaction(write=True) as session:
                    row = session.get(IdempotencyRow, (caller, key))
                    if row is not None and row.created_at < now - KEY_LIFETIME:
                        session.delete(row)
                        session.flush()
                        row = None
                    if row is None:
                        session.add(IdempotencyRow(caller=caller, key=key, request_hash=request_hash, created_at=now))
                        return Claim("new")
                    if row.request_hash != request_hash:
                        return Claim("mismatch")
                    if row.status is None:
                        return Claim("pending")
                    return Claim("replay", row.status, row.content_type, row.body)
            except StoreError as exc:  # another node claimed the same key between our read and insert
                if not isinstance(exc.__cause__, IntegrityError):
                    raise
        return Claim("pending")

    def complete(self, caller: str, key: str, status: int, content_type: str | None, body: str | None) -> None:
        with self.store.transaction(write=True) as session:
            row = session.get(IdempotencyRow, (caller, key))
            if row is not None:
                row.status, row.content_type, row.body = status, content_type, body

    def release(self, caller: str, key: str) -> None:
        with self.store.transaction(write=True) as session:
            session.execute(delete(IdempotencyRow).where(IdempotencyRow.caller == caller, IdempotencyRow.key == key))

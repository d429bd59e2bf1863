"""API keys: shown once, stored only as a hash, refused once revoked, and scoped to their workspace."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from agentforge.cli.main import app
from agentforge.errors import AuthError, NotFoundError
from agentforge.store import Store
from agentforge.store.keys import REFUSED, KeyStore


def _rows(store_url: str) -> list[tuple[object, ...]]:
    """Every stored column of every key, read with plain SQL (what anyone with the database would see)."""
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text("SELECT * FROM api_keys"))]
    finally:
        engine.dispose()


def test_only_the_hash_is_stored_and_a_revoked_key_is_refused_at_once(store: Store, store_url: str) -> None:
    keys = KeyStore(store)
    record, key = keys.create("ws-a", name="ci")
    _, other_key = keys.create("ws-b")
    assert key.startswith(f"{record.key_id}.") and len(key) == len(record.key_id) + 44
    stored = _rows(store_url)
    assert len(stored) == 2
    secret = key.split(".", 1)[1]
    assert not any(secret in str(value) for row in stored for value in row)
    assert hashlib.sha256(key.encode()).hexdigest() in {value for row in stored for value in row}

    assert keys.workspace_of(key) == "ws-a" and keys.workspace_of(other_key) == "ws-b"
    revoked = keys.revoke("ws-a", record.key_id)
    assert revoked.revoked_at is not None
    with pytest.raises(AuthError, match=REFUSED):
        keys.workspace_of(key)
    assert keys.revoke("ws-a", record.key_id).revoked_at == revoked.revoked_at  # the first revocation stands
    assert keys.workspace_of(other_key) == "ws-b"
    assert [k.key_id for k in keys.list("ws-a")] == [record.key_id]


def test_every_wrong_key_gets_the_same_refusal_and_keys_stay_in_their_workspace(store: Store) -> None:
    keys = KeyStore(store)
    record, key = keys.create("ws-a")
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    unknown = "afk_000000000000." + key.split(".", 1)[1]
    for wrong in ("", "Bearer " + key, key + "x", tampered, unknown, record.key_id):
        with pytest.raises(AuthError) as caught:
            keys.workspace_of(wrong)
        assert str(caught.value) == REFUSED
    with pytest.raises(NotFoundError, match="no API key"):
        keys.revoke("ws-b", record.key_id)  # another workspace cannot revoke (or see) it
    assert keys.list("ws-b") == []
    assert keys.workspace_of(key) == "ws-a"


def test_the_cli_shows_a_key_once_and_lists_prefixes_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "--workspace", "acme", "--name", "laptop", "--store", url])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["keys", "list", "--workspace", "acme", "--store", url, "--json"])
    assert listed.exit_code == 0 and key not in listed.output and key.split(".")[0] in listed.output
    revoked = runner.invoke(app, ["keys", "revoke", key.split(".")[0], "--workspace", "acme", "--store", url])
    assert revoked.exit_code == 0, revoked.output
    with Store.open(url) as store, pytest.raises(AuthError):
        KeyStore(store).workspace_of(key)
    home = tmp_path / "home"
    server = runner.invoke(
        app, ["keys", "create", "--workspace", "acme"], env={"AGENTFORGE_STORE_URL": "", "AGENTFORGE_HOME": str(home)}
    )
    assert server.exit_code == 0, server.output
    assert (home / "agentforge.db").is_file(), "no --store: the store `serve --workspaces` uses by default"


def test_the_cli_lists_creates_and_deletes_workspaces(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["workspaces", "create", "acme", "--name", "Acme", "--store", url]).exit_code == 0
    bad = runner.invoke(app, ["workspaces", "create", "../etc", "--store", url])
    assert bad.exit_code == 1 and "invalid workspace id" in bad.output
    created = runner.invoke(app, ["keys", "create", "--workspace", "acme", "--store", url])
    key = created.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["workspaces", "list", "--store", url, "--json"])
    assert [(w["workspace_id"], w["name"]) for w in json.loads(listed.output)] == [("acme", "Acme")]
    files = tmp_path / "data" / "workspaces" / "acme" / "apps"
    files.mkdir(parents=True)
    deleted = runner.invoke(
        app, ["workspaces", "delete", "acme", "--store", url, "--data", str(tmp_path / "data"), "--yes"]
    )
    assert deleted.exit_code == 0, deleted.output
    assert not (tmp_path / "data" / "workspaces" / "acme").exists()
    with Store.open(url) as store, pytest.raises(AuthError):
        KeyStore(store).workspace_of(key)
    missing = runner.invoke(app, ["workspaces", "delete", "acme", "--store", url, "--yes"])
    assert missing.exit_code == 1 and "no workspace 'acme'" in missing.output

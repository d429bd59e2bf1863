"""`Idempotency-Key` on the multi-tenant server's POSTs, over real HTTP, SQLite and PostgreSQL: the same key and
request get the first answer and create nothing new; another request under the key is 422."""

from __future__ import annotations

from sqlalchemy import text

from .test_service import ADMIN, MODULE, SUPPORT_DESK, Server, built, server, zip_of

__all__ = ["server"]  # the fixture, imported for these tests


def test_an_upload_repeated_with_its_key_starts_one_build(server: Server) -> None:
    key = server.workspace("idem")
    body = zip_of(SUPPORT_DESK)
    with server.client(key) as client:
        headers = {"Idempotency-Key": "upload-1", "Content-Type": "application/zip"}
        first = client.post("/v1/workspaces/idem/apps", params={"name": "desk"}, content=body, headers=headers)
        again = client.post("/v1/workspaces/idem/apps", params={"name": "desk"}, content=body, headers=headers)
        assert (first.status_code, again.status_code) == (202, 202)
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        other = client.post("/v1/workspaces/idem/apps", params={"name": "other"}, content=body, headers=headers)
        assert other.status_code == 422 and "another request" in other.json()["detail"]["message"]
        assert [b["id"] for b in client.get("/v1/workspaces/idem/builds").json()] == [first.json()["id"]]


def test_a_correction_and_a_training_request_repeated_with_their_keys_happen_once(server: Server) -> None:
    key = server.workspace("once")
    with server.client(key) as client:
        assert built(client, "once", zip_of(SUPPORT_DESK))["state"] == "succeeded"
        call = client.post(f"/v1/workspaces/once/modules/{MODULE}:invoke", json={"input": {"message": "hi"}}).json()
        labels = client.get(f"/v1/workspaces/once/modules/{MODULE}").json()["output_schema"]["enum"]
        value = next(label for label in labels if label != call["output"])
        path = f"/v1/workspaces/once/traces/{call['trace_id']}/corrections"
        answers = [client.post(path, json={"value": value}, headers={"Idempotency-Key": "fix-1"}) for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 201]
        assert len({a.json()["id"] for a in answers}) == 1
        assert server.store.count_corrections("once", MODULE) == 1
        assert (
            client.post(path, json={"value": call["output"]}, headers={"Idempotency-Key": "fix-1"}).status_code == 422
        )
        train = [
            client.post(f"/v1/workspaces/once/modules/{MODULE}:train", json={}, headers={"Idempotency-Key": "t"})
            for _ in range(2)
        ]
        assert train[0].json() == train[1].json() and train[0].json()["created"] is True
        bad = client.post(path, json={"value": value}, headers={"Idempotency-Key": "no spaces allowed"})
        assert bad.status_code == 422


def test_a_new_key_is_never_kept_for_a_replay(server: Server) -> None:
    with server.client(ADMIN) as admin:
        headers = {"Idempotency-Key": "ws-1"}
        first = admin.post("/v1/workspaces", json={"workspace_id": "secretive"}, headers=headers)
        assert first.status_code == 201 and first.headers["cache-control"] == "no-store"
        repeat = admin.post("/v1/workspaces", json={"workspace_id": "secretive"}, headers=headers)
        assert repeat.status_code == 409 and "not kept" in repeat.json()["detail"]["message"]
    secret = first.json()["key"]["key"]
    with server.store.engine.connect() as conn:
        kept = " ".join(str(v) for row in conn.execute(text("SELECT * FROM idempotency_keys")) for v in row)
    assert secret not in kept and secret.split(".")[1] not in kept
    assert [k["key_id"] for k in server.client(ADMIN).get("/v1/workspaces/secretive/keys").json()] == [
        secret.split(".")[0]
    ]

"""`agentforge serve --workspaces` as a real process on PostgreSQL, with the real default model: a workspace
made with `agentforge keys create` on the server's store uploads a prototype and calls its module over HTTP,
directly and through the official `openai` client and LangChain's `ChatOpenAI`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI
from typer.testing import CliRunner

from agentforge.cli.main import app

from ..api.test_service import MODULE, SUPPORT_DESK, zip_of
from ..e2e.server import serve_args

ADMIN = "a" * 40


@pytest.mark.slow
@pytest.mark.postgres
def test_serve_workspaces_on_postgres_builds_an_upload_and_answers_with_the_default_model(
    postgres_admin: str, tmp_path: Path
) -> None:
    from agentforge.store.testing import temporary_postgres_database

    with temporary_postgres_database(postgres_admin) as url:
        created = CliRunner().invoke(app, ["keys", "create", "--workspace", "team", "--store", url])
        assert created.exit_code == 0, created.output
        key = created.output.strip().splitlines()[-1]
        args = ["--workspaces", "--store", url, "--data", str(tmp_path / "data")]
        with (
            serve_args(args, tmp_path / "serve.log", env={"AGENTFORGE_ADMIN_KEY": ADMIN}) as (base, _),
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client,
        ):
            assert client.get("/health").json()["mode"] == "workspaces"
            started = client.post("/v1/workspaces/team/apps", params={"name": "desk"}, content=zip_of(SUPPORT_DESK))
            assert started.status_code == 202, started.text
            deadline = time.monotonic() + 120
            while (build := client.get(f"/v1/workspaces/team/builds/{started.json()['id']}").json())["state"] not in (
                "succeeded",
                "failed",
            ):
                assert time.monotonic() < deadline, build
                time.sleep(0.5)
            assert build["state"] == "succeeded", build
            labels = client.get(f"/v1/workspaces/team/modules/{MODULE}").json()["output_schema"]["enum"]
            call = client.post(
                f"/v1/workspaces/team/modules/{MODULE}:invoke", json={"input": {"message": "I lost my card"}}
            ).json()
            assert call["output"] in labels and call["fallback_used"] is False and call["model"], call
            endpoint = f"{base}/v1/workspaces/team/v1"
            answer = openai.OpenAI(base_url=endpoint, api_key=key, max_retries=0).chat.completions.create(
                model="classify_intent", messages=[{"role": "user", "content": "where is my refund?"}]
            )
            assert answer.choices[0].message.content in labels
            assert answer.model_extra is not None and answer.model_extra["agentforge"]["fallback_used"] is False
            chat = ChatOpenAI(base_url=endpoint, api_key=key, model="classify_intent", max_retries=0)
            assert chat.invoke("my card payment was declined").content in labels
            metrics = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {ADMIN}"}).text
            assert 'workspace="team"' in metrics
            assert httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        log = (tmp_path / "serve.log").read_text()
        assert "serving workspaces" in log
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(line["workspace"] == "team" and line["status"] == 200 and line["request_id"] for line in lines)
        assert key.split(".")[1] not in log and ADMIN not in log, "no secret is ever logged"


def test_serve_refuses_an_app_folder_with_workspaces_and_a_short_admin_key(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(app, ["serve", str(tmp_path), "--workspaces"])
    assert both.exit_code == 1 and "give no app folder" in both.output
    neither = runner.invoke(app, ["serve"])
    assert neither.exit_code == 1 and "--workspaces" in neither.output
    short = runner.invoke(
        app,
        ["serve", "--workspaces", "--store", f"sqlite:///{tmp_path / 's.db'}"],
        env={"AGENTFORGE_ADMIN_KEY": "short"},
    )
    assert short.exit_code == 1 and "too short" in short.output

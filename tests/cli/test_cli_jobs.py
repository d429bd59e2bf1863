"""`agentforge train` (queueing), `agentforge jobs list|show|cancel|retry` on a built sample app's store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentforge.artifacts import JobState, JobTrigger
from agentforge.cli.jobs import parse_duration
from agentforge.cli.main import app
from agentforge.store import Store
from agentforge.store.queue import JobQueue

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"
runner = CliRunner()


def _app(tmp_path: Path) -> Path:
    out = tmp_path / "app"
    result = runner.invoke(app, ["build", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_train_queues_one_job_and_jobs_commands_manage_it(tmp_path: Path) -> None:
    out = _app(tmp_path)
    first = runner.invoke(app, ["train", "classify_intent", "--app", str(out)])
    assert first.exit_code == 0, first.output
    assert "queued job" in first.output
    again = runner.invoke(app, ["train", "classify_intent", "--app", str(out)])
    assert "already queued as" in again.output

    listed = runner.invoke(app, ["jobs", "list", "--app", str(out), "--json"])
    assert listed.exit_code == 0, listed.output
    [job] = json.loads(listed.output)
    assert (job["state"], job["trigger"], job["module_id"].endswith("::classify_intent")) == ("queued", "manual", True)
    table = runner.invoke(app, ["jobs", "list", "--app", str(out)])
    assert job["id"][:12] in table.output and "queued" in table.output

    shown = runner.invoke(app, ["jobs", "show", job["id"][:8], "--app", str(out)])
    assert json.loads(shown.output)["id"] == job["id"]
    cancelled = runner.invoke(app, ["jobs", "cancel", job["id"], "--app", str(out)])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    twice = runner.invoke(app, ["jobs", "cancel", job["id"], "--app", str(out)])
    assert twice.exit_code == 1 and "already cancelled" in twice.output
    retried = runner.invoke(app, ["jobs", "retry", job["id"], "--app", str(out)])
    assert retried.exit_code == 0 and "queued again" in retried.output
    only_failed = runner.invoke(app, ["jobs", "list", "--app", str(out), "--state", "failed", "--json"])
    assert json.loads(only_failed.output) == []

    unknown = runner.invoke(app, ["train", "no_such_module", "--app", str(out)])
    assert unknown.exit_code == 1 and "no module named" in unknown.output


def test_jobs_on_a_store_url_show_a_running_job_asked_to_stop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store.open(url) as store:
        queue = JobQueue(store)
        job, _ = queue.enqueue("default", "m.py::f", trigger=JobTrigger.SCHEDULE)
        assert queue.claim("w1", lease_s=60) is not None
    asked = runner.invoke(app, ["jobs", "cancel", job.id[:6], "--store", url])
    assert asked.exit_code == 0 and "asked its worker (w1) to stop" in asked.output
    with Store.open(url) as store:
        assert store.get_job("default", job.id).cancel_requested
        assert store.get_job("default", job.id).state is JobState.RUNNING
    listed = runner.invoke(app, ["jobs", "list", "--store", url])
    assert "cancelling" in listed.output and "schedule" in listed.output
    missing = runner.invoke(app, ["jobs", "show", "zzz", "--store", url])
    assert missing.exit_code == 1 and "no job matches" in missing.output
    assert runner.invoke(app, ["jobs", "list"], env={"AGENTFORGE_STORE_URL": ""}).exit_code == 1


def test_durations() -> None:
    assert [parse_duration(t) for t in ("90", "90s", "15m", "1h", "1d")] == [90, 90, 900, 3600, 86400]
